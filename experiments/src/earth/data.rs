//! Loading the earth-science datasets: CSV files of (latitude, longitude) in degrees, mapped
//! to unit vectors of S^2 ⊂ R³.
//!
//! Format accepted: lines starting with `#` are comments and blank lines are ignored,
//! anywhere; the first other line is a header when it does not parse as numbers (its column
//! names choose the columns: the first name starting with "lat" and the first starting with
//! "lon", case-insensitive), otherwise the file has no header and every row is exactly
//! `latitude,longitude`. Latitude must lie in [−90, 90] and longitude in [−180, 360) (both
//! the ±180° and the 0-360° conventions); anything else is a [`LoadError`] with the file, the
//! line number and the offending text, never a silent skip.

use std::fmt;
use std::path::{Path, PathBuf};
use tch::{Device, Kind, Tensor};

/// Why a dataset file could not be loaded.
#[derive(Debug)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A header line without a latitude or a longitude column.
    BadHeader {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The header text.
        text: String,
    },
    /// A data row that is not two finite numbers in the expected columns.
    BadRow {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The row text.
        text: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A latitude or longitude outside its range.
    OutOfRange {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// "latitude" or "longitude".
        what: &'static str,
        /// The value read.
        value: f64,
        /// The accepted range, for the message.
        range: &'static str,
    },
    /// No data rows at all.
    Empty {
        /// The file.
        path: PathBuf,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, source } => write!(f, "{}: cannot read: {source}", path.display()),
            Self::BadHeader { path, line, text } => write!(
                f,
                "{}:{line}: header {text:?} has no latitude (\"lat...\") or no longitude (\"lon...\") column",
                path.display()
            ),
            Self::BadRow {
                path,
                line,
                text,
                reason,
            } => {
                write!(f, "{}:{line}: bad row {text:?}: {reason}", path.display())
            }
            Self::OutOfRange {
                path,
                line,
                what,
                value,
                range,
            } => write!(
                f,
                "{}:{line}: {what} {value} is outside {range}",
                path.display()
            ),
            Self::Empty { path } => write!(f, "{}: no data rows", path.display()),
        }
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Where the latitude and longitude are in each row, and how many fields a row has.
#[derive(Debug, Clone, Copy)]
struct Columns {
    lat: usize,
    lon: usize,
    fields: usize,
}

/// (latitude, longitude) pairs in degrees, as read (range-checked).
pub fn read_lat_lon(path: &Path) -> Result<Vec<[f64; 2]>, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_lat_lon(&text, path)
}

/// [`read_lat_lon`] on the text of a file (`path` only names it in errors).
pub fn parse_lat_lon(text: &str, path: &Path) -> Result<Vec<[f64; 2]>, LoadError> {
    let mut columns = None;
    let mut rows = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let (line, row) = (i + 1, raw.trim());
        if row.is_empty() || row.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = row.split(',').map(str::trim).collect();
        let cols = match columns {
            Some(c) => c,
            None if fields.iter().all(|f| f.parse::<f64>().is_err()) => {
                columns = Some(header_columns(&fields).ok_or_else(|| LoadError::BadHeader {
                    path: path.to_path_buf(),
                    line,
                    text: row.to_owned(),
                })?);
                continue;
            }
            None => *columns.insert(Columns {
                lat: 0,
                lon: 1,
                fields: 2,
            }),
        };
        rows.push(parse_row(&fields, cols).map_err(|e| e.at(path, line, row))?);
    }
    if rows.is_empty() {
        return Err(LoadError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(rows)
}

/// The latitude and longitude columns named by a header.
fn header_columns(fields: &[&str]) -> Option<Columns> {
    let find = |prefix: &str| {
        fields
            .iter()
            .position(|f| f.to_ascii_lowercase().starts_with(prefix))
    };
    Some(Columns {
        lat: find("lat")?,
        lon: find("lon")?,
        fields: fields.len(),
    })
}

/// A row problem before the file and line are attached.
enum RowError {
    Bad(String),
    Range(&'static str, f64, &'static str),
}

impl RowError {
    fn at(self, path: &Path, line: usize, text: &str) -> LoadError {
        let path = path.to_path_buf();
        match self {
            Self::Bad(reason) => LoadError::BadRow {
                path,
                line,
                text: text.to_owned(),
                reason,
            },
            Self::Range(what, value, range) => LoadError::OutOfRange {
                path,
                line,
                what,
                value,
                range,
            },
        }
    }
}

fn parse_row(fields: &[&str], cols: Columns) -> Result<[f64; 2], RowError> {
    if fields.len() != cols.fields {
        return Err(RowError::Bad(format!(
            "{} fields, expected {}",
            fields.len(),
            cols.fields
        )));
    }
    let number = |i: usize| -> Result<f64, RowError> {
        match fields[i].parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(RowError::Bad(format!(
                "{:?} is not a finite number",
                fields[i]
            ))),
        }
    };
    let (lat, lon) = (number(cols.lat)?, number(cols.lon)?);
    if !(-90.0..=90.0).contains(&lat) {
        return Err(RowError::Range("latitude", lat, "[-90, 90]"));
    }
    if !(-180.0..360.0).contains(&lon) {
        return Err(RowError::Range("longitude", lon, "[-180, 360)"));
    }
    Ok([lat, lon])
}

/// Unit vectors (cos φ cos λ, cos φ sin λ, sin φ) for latitudes φ and longitudes λ in
/// degrees, `[N, 3]` f64.
pub fn to_unit_vectors(lat_lon: &[[f64; 2]]) -> Tensor {
    let flat: Vec<f64> = lat_lon.iter().flatten().copied().collect();
    let deg = Tensor::from_slice(&flat).view([-1, 2]).deg2rad();
    let (lat, lon) = (deg.select(1, 0), deg.select(1, 1));
    Tensor::stack(
        &[lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()],
        1,
    )
}

/// (latitude, longitude) in degrees of unit vectors `[N, 3]`, longitude in (−180, 180].
pub fn to_lat_lon(y: &Tensor) -> Vec<(f64, f64)> {
    let y = y.to_kind(Kind::Double).to_device(Device::Cpu);
    let lat = y.select(1, 2).clamp(-1.0, 1.0).arcsin().rad2deg();
    let lon = y.select(1, 1).atan2(&y.select(1, 0)).rad2deg();
    let lat: Vec<f64> = Vec::try_from(&lat).unwrap_or_default();
    let lon: Vec<f64> = Vec::try_from(&lon).unwrap_or_default();
    lat.into_iter().zip(lon).map(|(a, o)| (o, a)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_vectors_and_back() {
        let pts = [[0.0, 0.0], [90.0, 10.0], [-45.0, 270.0], [10.0, -170.0]];
        let y = to_unit_vectors(&pts);
        let norms = y.square().sum_dim_intlist(1, false, Kind::Double);
        assert!((norms - 1.0).abs().max().double_value(&[]) < 1e-15);
        assert!((y.double_value(&[0, 0]) - 1.0).abs() < 1e-15);
        assert!((y.double_value(&[1, 2]) - 1.0).abs() < 1e-15);
        let back = to_lat_lon(&y);
        assert!((back[2].0 + 90.0).abs() < 1e-12 && (back[2].1 + 45.0).abs() < 1e-12);
        assert!((back[3].0 + 170.0).abs() < 1e-12 && (back[3].1 - 10.0).abs() < 1e-12);
    }
}
