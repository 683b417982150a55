//! Plot helpers over plotters (PNG or SVG by file extension), with a font found on the system
//! at run time.

use anyhow::{Result, anyhow, bail};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use std::sync::OnceLock;

/// Registers a sans-serif TrueType font found on the system with plotters, once.
///
/// Returns false when no font is found; plots then cannot draw text, and [`line_plot`] and
/// [`heat_map`] return an error that the binaries report as a warning.
pub fn ensure_font() -> bool {
    static FOUND: OnceLock<bool> = OnceLock::new();
    *FOUND.get_or_init(|| {
        const CANDIDATES: [&str; 4] = [
            "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
            "/usr/share/fonts/TTF/DejaVuSans.ttf",
            "/usr/share/fonts/dejavu/DejaVuSans.ttf",
            "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        ];
        CANDIDATES.iter().any(|path| {
            std::fs::read(path).is_ok_and(|bytes| {
                let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok()
            })
        })
    })
}

/// One curve of a line plot.
#[derive(Debug, Clone)]
pub struct Series {
    /// The legend entry.
    pub name: String,
    /// (x, y) points, in order.
    pub points: Vec<(f64, f64)>,
    /// Dashed instead of solid.
    pub dashed: bool,
}

/// Axis labels, title and scales of a line plot.
#[derive(Debug, Clone)]
pub struct Axes<'a> {
    /// The plot title.
    pub title: &'a str,
    /// The x-axis label.
    pub x_label: &'a str,
    /// The y-axis label.
    pub y_label: &'a str,
    /// Logarithmic x axis.
    pub log_x: bool,
    /// Logarithmic y axis.
    pub log_y: bool,
}

/// Draws `series` into `path` (`.png` or `.svg`), 900×600.
pub fn line_plot(path: &Path, axes: &Axes, series: &[Series]) -> Result<()> {
    if !ensure_font() {
        bail!("no TrueType font found for plot labels");
    }
    match path.extension().and_then(|e| e.to_str()) {
        Some("svg") => draw_lines(
            SVGBackend::new(path, (900, 600)).into_drawing_area(),
            axes,
            series,
        ),
        Some("png") => draw_lines(
            BitMapBackend::new(path, (900, 600)).into_drawing_area(),
            axes,
            series,
        ),
        _ => bail!("plot file must end in .png or .svg: {}", path.display()),
    }
}

/// A tick label: 1e-3 style on logarithmic axes, plain numbers otherwise.
fn tick(v: f64, log: bool) -> String {
    if log {
        format!("{v:.0e}")
    } else {
        format!("{v}")
    }
}

fn range(values: impl Iterator<Item = f64>, log: bool) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite() && (!log || *v > 0.0))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        return (if log { 1e-3 } else { 0.0 }, 1.0);
    }
    if log {
        (lo / 1.5, hi * 1.5)
    } else {
        let pad = ((hi - lo) * 0.05).max(1e-12);
        (lo - pad, hi + pad)
    }
}

fn draw_lines<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    axes: &Axes,
    series: &[Series],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(err)?;
    let all = series.iter().flat_map(|s| s.points.iter());
    let (x0, x1) = range(all.clone().map(|p| p.0), axes.log_x);
    let (y0, y1) = range(all.map(|p| p.1), axes.log_y);
    let mut builder = ChartBuilder::on(&root);
    builder
        .caption(axes.title, ("sans-serif", 22))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70);
    macro_rules! finish {
        ($chart:expr) => {{
            let mut chart = $chart;
            chart
                .configure_mesh()
                .x_desc(axes.x_label)
                .y_desc(axes.y_label)
                .x_label_formatter(&|v| tick(*v, axes.log_x))
                .y_label_formatter(&|v| tick(*v, axes.log_y))
                .draw()
                .map_err(err)?;
            for (i, s) in series.iter().enumerate() {
                let color = Palette99::pick(i).to_rgba();
                let style = ShapeStyle::from(&color).stroke_width(2);
                let pts = s.points.iter().copied().filter(|(x, y)| {
                    x.is_finite()
                        && y.is_finite()
                        && (!axes.log_x || *x > 0.0)
                        && (!axes.log_y || *y > 0.0)
                });
                let drawn = if s.dashed {
                    chart
                        .draw_series(DashedLineSeries::new(pts, 6, 4, style))
                        .map_err(err)?
                } else {
                    chart
                        .draw_series(LineSeries::new(pts, style))
                        .map_err(err)?
                };
                drawn
                    .label(s.name.clone())
                    .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color));
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()
                .map_err(err)?;
        }};
    }
    match (axes.log_x, axes.log_y) {
        (true, true) => finish!(
            builder
                .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())
                .map_err(err)?
        ),
        (true, false) => finish!(
            builder
                .build_cartesian_2d((x0..x1).log_scale(), y0..y1)
                .map_err(err)?
        ),
        (false, true) => finish!(
            builder
                .build_cartesian_2d(x0..x1, (y0..y1).log_scale())
                .map_err(err)?
        ),
        (false, false) => finish!(builder.build_cartesian_2d(x0..x1, y0..y1).map_err(err)?),
    }
    root.present().map_err(err)?;
    Ok(())
}

/// Turns a plotters error into an `anyhow` error.
fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("plot: {e:?}")
}

/// A map of values on a regular grid over a rectangle: by default longitude × latitude in
/// degrees (equirectangular projection of the sphere).
#[derive(Debug, Clone)]
pub struct MapPanel {
    /// Panel title.
    pub title: String,
    /// `values[row][col]`: rows from the top (largest y) down, columns from the left.
    /// Non-finite values are left blank.
    pub values: Vec<Vec<f64>>,
    /// Points to overlay, as (x, y).
    pub points: Vec<(f64, f64)>,
    /// The rectangle [x0, x1] × [y0, y1] the grid covers.
    pub extent: [f64; 4],
    /// Axis labels (x, y).
    pub labels: [&'static str; 2],
}

impl MapPanel {
    /// A longitude × latitude panel (degrees).
    pub fn lon_lat(title: &str, values: Vec<Vec<f64>>, points: Vec<(f64, f64)>) -> Self {
        Self {
            title: title.to_owned(),
            values,
            points,
            extent: [-180.0, 180.0, -90.0, 90.0],
            labels: ["longitude", "latitude"],
        }
    }
}

/// Draws map panels side by side into a PNG at `path`, each with its own colour scale
/// (viridis, from its minimum to its maximum) unless `shared_scale`.
pub fn heat_map(path: &Path, panels: &[MapPanel], shared_scale: bool) -> Result<()> {
    if !ensure_font() {
        bail!("no TrueType font found for plot labels");
    }
    let width = 640 * panels.len().max(1) as u32;
    // Keep the data's aspect ratio (2:1 for longitude × latitude, 1:1 for a disk).
    let aspect = panels.first().map_or(0.5, |p| {
        (p.extent[3] - p.extent[2]) / (p.extent[1] - p.extent[0])
    });
    let height = (560.0 * aspect + 80.0).clamp(200.0, 1200.0) as u32;
    let root = BitMapBackend::new(path, (width, height)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let global = panels
        .iter()
        .flat_map(|p| p.values.iter().flatten().copied());
    let global = range(global, false);
    for (area, panel) in root
        .split_evenly((1, panels.len().max(1)))
        .iter()
        .zip(panels)
    {
        let (lo, hi) = if shared_scale {
            global
        } else {
            range(panel.values.iter().flatten().copied(), false)
        };
        let mut chart = ChartBuilder::on(area)
            .caption(&panel.title, ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(40)
            .build_cartesian_2d(
                panel.extent[0]..panel.extent[1],
                panel.extent[2]..panel.extent[3],
            )
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(panel.labels[0])
            .y_desc(panel.labels[1])
            .draw()
            .map_err(err)?;
        let rows = panel.values.len();
        let cols = panel.values.first().map_or(0, Vec::len);
        let [x0, x1, y0, y1] = panel.extent;
        let (dx, dy) = (
            (x1 - x0) / cols.max(1) as f64,
            (y1 - y0) / rows.max(1) as f64,
        );
        let cells = panel.values.iter().enumerate().flat_map(|(r, row)| {
            row.iter()
                .enumerate()
                .filter(|(_, v)| v.is_finite())
                .map(move |(c, v)| {
                    let t = ((v - lo) / (hi - lo).max(1e-300)).clamp(0.0, 1.0);
                    let (x, y) = (x0 + c as f64 * dx, y1 - r as f64 * dy);
                    Rectangle::new(
                        [(x, y), (x + dx, y - dy)],
                        ViridisRGB::get_color(t).filled(),
                    )
                })
        });
        chart.draw_series(cells).map_err(err)?;
        let dots = panel
            .points
            .iter()
            .map(|&(x, y)| Circle::new((x, y), 1, RED.mix(0.6).filled()));
        chart.draw_series(dots).map_err(err)?;
    }
    root.present().map_err(err)?;
    Ok(())
}
