//! Density estimation on S^2 from real earth-science data (issue 6): the four datasets of
//! Mathieu & Nickel ("Riemannian continuous normalizing flows", 2020) — volcanic eruptions,
//! earthquakes, floods and wildfires — with an energy network trained by Riemannian minimum
//! velocity learning (MVL), by the birth-death (Wasserstein-Fisher-Rao) MVL objective and by
//! exact Riemannian score matching, against a vMF mixture fitted by EM and a vMF kernel
//! density estimate. Test negative log-likelihoods are in nats with respect to the area
//! measure of the unit sphere (the uniform density has NLL ln 4π ≈ 2.531).
//!
//! ```
//! use mvl_experiments::earth::data::{parse_lat_lon, to_unit_vectors};
//! let rows = parse_lat_lon("# source\nLatitude,Longitude\n0,0\n90,45\n", "x.csv".as_ref())?;
//! let y = to_unit_vectors(&rows);
//! assert_eq!(y.size(), vec![2, 3]);
//! # Ok::<(), mvl_experiments::earth::data::LoadError>(())
//! ```

pub mod baselines;
pub mod cli;
pub mod data;
pub mod density;
pub mod fit;
pub mod methods;
pub mod net;
pub mod report;
pub mod settings;
pub mod split;

use std::path::{Path, PathBuf};

/// One of the four datasets, named as in the published tables.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Dataset {
    /// Volcanic eruptions (NOAA NGDC), `volerup.csv`, 827 rows (267 distinct sites).
    Volcano,
    /// Earthquakes (NOAA NGDC), `quakes_all.csv`, 6,120 rows.
    Earthquake,
    /// Floods (Dartmouth Flood Observatory), `flood.csv`, 4,875 rows.
    Flood,
    /// Wildfires (NASA FIRMS), `fire.csv`, 12,809 rows.
    Fire,
}

impl Dataset {
    /// All four, in the order of the published tables.
    pub const ALL: [Dataset; 4] = [
        Dataset::Volcano,
        Dataset::Earthquake,
        Dataset::Flood,
        Dataset::Fire,
    ];

    /// The dataset's name in results ("volcano", ...).
    pub fn name(self) -> &'static str {
        match self {
            Dataset::Volcano => "volcano",
            Dataset::Earthquake => "earthquake",
            Dataset::Flood => "flood",
            Dataset::Fire => "fire",
        }
    }

    /// The file name in the data folder.
    pub fn file_name(self) -> &'static str {
        match self {
            Dataset::Volcano => "volerup.csv",
            Dataset::Earthquake => "quakes_all.csv",
            Dataset::Flood => "flood.csv",
            Dataset::Fire => "fire.csv",
        }
    }

    /// The dataset's unit vectors `[N, 3]` (f64), read from `dir`.
    pub fn load(self, dir: &Path) -> Result<tch::Tensor, data::LoadError> {
        Ok(data::to_unit_vectors(&data::read_lat_lon(
            &dir.join(self.file_name()),
        )?))
    }
}

/// Environment variable naming the data folder when `--data-dir` is not given.
pub const DATA_ENV: &str = "MVL_EARTH_DATA";

/// The data folder: `explicit` if given, else `$MVL_EARTH_DATA` if set, else
/// `../shared/data/earth` (relative to the working directory), when it exists; else an error
/// that says where to get the files.
pub fn data_dir(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    let dir = match (explicit, std::env::var_os(DATA_ENV)) {
        (Some(dir), _) => dir.to_path_buf(),
        (None, Some(env)) => PathBuf::from(env),
        (None, None) => PathBuf::from("../shared/data/earth"),
    };
    if dir.is_dir() {
        return Ok(dir);
    }
    anyhow::bail!(
        "data folder {} not found: pass --data-dir with the folder holding volerup.csv, \
         quakes_all.csv, flood.csv and fire.csv (see docs/earth-density.md for their public sources)",
        dir.display()
    )
}

/// ln 4π: the NLL of the uniform density on the unit sphere.
pub const UNIFORM_NLL: f64 = 2.531_024_246_969_290_7;
