//! The IDX format (LeCun et al., "THE MNIST DATABASE", file format section): a big-endian
//! magic number 0x0000_08_DD (type 0x08 = unsigned byte, DD = number of dimensions), the
//! dimensions as big-endian u32, then the data.

use crate::error::{AeError, Result};
use sha2::{Digest, Sha256};
use std::path::Path;

/// Magic number of an unsigned-byte IDX file with three dimensions (images).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an unsigned-byte IDX file with one dimension (labels).
pub const LABELS_MAGIC: u32 = 0x0000_0801;

/// Reads an image file: (count, rows, cols, pixels row-major). When `sha256` is given, the
/// file's digest must match it.
pub fn read_images(path: &Path, sha256: Option<&str>) -> Result<(usize, usize, usize, Vec<u8>)> {
    let bytes = read_checked(path, sha256)?;
    let dims = header(path, &bytes, IMAGES_MAGIC, 3)?;
    let data = body(path, &bytes, &dims)?;
    Ok((dims[0], dims[1], dims[2], data))
}

/// Reads a label file. When `sha256` is given, the file's digest must match it.
pub fn read_labels(path: &Path, sha256: Option<&str>) -> Result<Vec<u8>> {
    let bytes = read_checked(path, sha256)?;
    let dims = header(path, &bytes, LABELS_MAGIC, 1)?;
    body(path, &bytes, &dims)
}

fn read_checked(path: &Path, sha256: Option<&str>) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(|source| AeError::MissingData {
        path: path.to_path_buf(),
        source,
    })?;
    if let Some(expected) = sha256 {
        let got: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if !got.eq_ignore_ascii_case(expected) {
            return Err(AeError::ChecksumMismatch {
                path: path.to_path_buf(),
                expected: expected.to_owned(),
                got,
            });
        }
    }
    Ok(bytes)
}

fn bad(path: &Path, reason: String) -> AeError {
    AeError::BadIdx {
        path: path.to_path_buf(),
        reason,
    }
}

/// The dimensions after checking the magic number.
fn header(path: &Path, bytes: &[u8], magic: u32, rank: usize) -> Result<Vec<usize>> {
    let len = 4 * (rank + 1);
    if bytes.len() < len {
        return Err(bad(
            path,
            format!("{} bytes, shorter than the {len}-byte header", bytes.len()),
        ));
    }
    let word = |k: usize| {
        u32::from_be_bytes([
            bytes[4 * k],
            bytes[4 * k + 1],
            bytes[4 * k + 2],
            bytes[4 * k + 3],
        ])
    };
    if word(0) != magic {
        return Err(AeError::BadMagic {
            path: path.to_path_buf(),
            expected: magic,
            got: word(0),
        });
    }
    Ok((1..=rank).map(|k| word(k) as usize).collect())
}

/// The data after the header, which must be exactly as long as the dimensions say.
fn body(path: &Path, bytes: &[u8], dims: &[usize]) -> Result<Vec<u8>> {
    let start = 4 * (dims.len() + 1);
    let want = dims.iter().product::<usize>();
    let got = bytes.len() - start;
    if got != want {
        let what = if got < want { "truncated" } else { "too long" };
        return Err(bad(
            path,
            format!("{what}: {got} data bytes, the header {dims:?} says {want}"),
        ));
    }
    Ok(bytes[start..].to_vec())
}
