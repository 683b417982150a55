//! Grids of small grey-scale images (MNIST reconstructions and samples) as PNG files.

use anyhow::{Result, anyhow, bail};
use plotters::prelude::*;
use std::path::Path;
use tch::{Device, Kind, Tensor};

/// Writes the images `[n, side·side]` (values in [0, 1], any float kind and device; 1 is
/// white ink on black, as MNIST) as a grid of `cols` columns into a PNG at `path`, each pixel
/// drawn as a `zoom` × `zoom` block, with a 1-pixel grey border between images.
pub fn image_grid(path: &Path, images: &Tensor, side: i64, cols: i64, zoom: u32) -> Result<()> {
    let size = images.size();
    if size.len() != 2 || size[1] != side * side || size[0] == 0 || cols < 1 || zoom == 0 {
        bail!(
            "image grid: expected [n ≥ 1, {}] images, got {size:?}",
            side * side
        );
    }
    let n = size[0];
    let rows = (n + cols - 1) / cols;
    let cell = side as u32 * zoom + 1;
    let (width, height) = (cols as u32 * cell + 1, rows as u32 * cell + 1);
    let pixels: Vec<f64> = Vec::try_from(
        images
            .to_kind(Kind::Double)
            .to_device(Device::Cpu)
            .clamp(0.0, 1.0)
            .contiguous()
            .view([-1]),
    )?;
    let root = BitMapBackend::new(path, (width, height)).into_drawing_area();
    let err = |e| anyhow!("image grid {}: {e:?}", path.display());
    root.fill(&RGBColor(128, 128, 128)).map_err(err)?;
    for (i, image) in pixels.chunks(side as usize * side as usize).enumerate() {
        let (r, c) = (i as u32 / cols as u32, i as u32 % cols as u32);
        let (x0, y0) = (c * cell + 1, r * cell + 1);
        for (p, v) in image.iter().enumerate() {
            let grey = (v * 255.0).round() as u8;
            let (px, py) = (p as u32 % side as u32, p as u32 / side as u32);
            for (dx, dy) in (0..zoom).flat_map(|dx| (0..zoom).map(move |dy| (dx, dy))) {
                let at = ((x0 + px * zoom + dx) as i32, (y0 + py * zoom + dy) as i32);
                root.draw_pixel(at, &RGBColor(grey, grey, grey))
                    .map_err(err)?;
            }
        }
    }
    root.present().map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_has_the_expected_size_and_bad_shapes_are_errors() {
        let dir = std::env::temp_dir().join(format!("mvl-images-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("grid.png");
        let images = Tensor::rand([5, 16], (Kind::Float, Device::Cpu));
        image_grid(&path, &images, 4, 3, 2).expect("writes");
        let bytes = std::fs::read(&path).expect("written");
        // PNG header: width and height are big-endian u32 at bytes 16..24.
        let dim =
            |o: usize| u32::from_be_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]);
        assert_eq!((dim(16), dim(20)), (3 * 9 + 1, 2 * 9 + 1));
        assert!(image_grid(&path, &images, 5, 3, 2).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
