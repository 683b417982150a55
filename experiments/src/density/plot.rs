//! The pictures of Figure 2: learned vs true density on S^1, energy maps on S^2 and the
//! Poincaré disk.

use super::Surface;
use crate::plot::{Axes, MapPanel, Series, heat_map, line_plot};
use crate::targets::{disk_mixture, sphere_mixture};
use anyhow::Result;
use mvl_manifold::TensorDistribution;
use mvl_manifold::integration::Grid;
use std::path::Path;
use tch::{Device, Kind, Tensor};

/// Draws `surface`'s picture into `dir`: the true (`log_p`) and learned (`log_q`, unnormalised)
/// densities on `grid` for S^1, and the true and learned energies on a map otherwise
/// (`learned` gives the learned log-density at f64 points).
pub(super) fn density(
    dir: &Path,
    surface: Surface,
    grid: &Grid,
    log_p: &Tensor,
    log_q: &Tensor,
    learned: &dyn Fn(&Tensor) -> Tensor,
) -> Result<()> {
    match surface {
        Surface::S1 => circle(dir, grid, log_p, log_q),
        Surface::S2 => {
            let lon: i64 = 180;
            let pts = Grid::lon_lat(90, lon as usize)?.points;
            let centred = |v: Tensor| -> Vec<Vec<f64>> { rows(&(&v - v.mean(Kind::Double)), lon) };
            let panels = vec![
                MapPanel::lon_lat(
                    "true energy (centred)",
                    centred(-sphere_mixture()?.log_prob(&pts)),
                    vec![],
                ),
                MapPanel::lon_lat("learned energy (centred)", centred(-learned(&pts)), vec![]),
            ];
            heat_map(&dir.join("S2-energy.png"), &panels, true)
        }
        Surface::H2 => {
            let k = 200;
            let (pts, inside) = disk_points(k);
            let masked = |v: Tensor| -> Vec<Vec<f64>> {
                let centred = &v - v.masked_select(&inside).mean(Kind::Double);
                rows(&centred.where_scalarother(&inside, f64::NAN), k)
            };
            let panel = |title: &str, v| MapPanel {
                title: title.into(),
                values: masked(v),
                points: vec![],
                extent: [-1.0, 1.0, -1.0, 1.0],
                labels: ["x1", "x2"],
            };
            let panels = vec![
                panel(
                    "true energy (centred), Poincare disk",
                    -disk_mixture()?.log_prob(&pts),
                ),
                panel("learned energy (centred)", -learned(&pts)),
            ];
            heat_map(&dir.join("H2-energy.png"), &panels, true)
        }
    }
}

/// Learned and true densities on S^1 against the angle.
fn circle(dir: &Path, grid: &Grid, log_p: &Tensor, log_q: &Tensor) -> Result<()> {
    let theta = grid.points.select(1, 1).atan2(&grid.points.select(1, 0));
    let theta: Vec<f64> = Vec::try_from(&theta)?;
    let to_points = |v: &Tensor| -> Result<Vec<(f64, f64)>> {
        let v: Vec<f64> = Vec::try_from(v)?;
        Ok(theta.iter().copied().zip(v).collect())
    };
    let log_qn = log_q - grid.log_integral(log_q)?;
    let series = vec![
        Series {
            name: "true density".into(),
            points: to_points(&log_p.exp())?,
            dashed: false,
        },
        Series {
            name: "learned (MVL)".into(),
            points: to_points(&log_qn.exp())?,
            dashed: true,
        },
    ];
    let axes = Axes {
        title: "S^1: learned vs true density",
        x_label: "angle (radians)",
        y_label: "density",
        log_x: false,
        log_y: false,
    };
    line_plot(&dir.join("S1-density.png"), &axes, &series)
}

/// A k × k grid over [−1, 1]² (rows from the top) and the mask of its points inside the disk
/// of radius 0.98.
fn disk_points(k: i64) -> (Tensor, Tensor) {
    let opts = (Kind::Double, Device::Cpu);
    let c = (Tensor::arange(k, opts) + 0.5) * (2.0 / k as f64) - 1.0;
    let x = c.unsqueeze(0).expand([k, k], false);
    let y = c.flip([0]).unsqueeze(1).expand([k, k], false);
    let pts = Tensor::stack(&[x.flatten(0, 1), y.flatten(0, 1)], 1);
    let inside = pts
        .square()
        .sum_dim_intlist(1, false, Kind::Double)
        .lt(0.98 * 0.98);
    (pts.where_scalarother(&inside.unsqueeze(1), 0.0), inside)
}

/// A flat tensor as rows of `cols` values.
fn rows(v: &Tensor, cols: i64) -> Vec<Vec<f64>> {
    let flat: Vec<f64> = Vec::try_from(v.to_kind(Kind::Double).contiguous()).unwrap_or_default();
    flat.chunks(cols as usize).map(<[f64]>::to_vec).collect()
}
