use super::*;
use sha2::{Digest, Sha256};

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mvl-ae-data-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// An IDX file with the given magic, dimensions and data.
fn idx(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut bytes = magic.to_be_bytes().to_vec();
    dims.iter().for_each(|d| bytes.extend(d.to_be_bytes()));
    bytes.extend(data);
    bytes
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn synthetic_files_round_trip_with_their_checksums() {
    let dir = temp("ok");
    let pixels: Vec<u8> = (0..2 * 3 * 2).map(|v| v as u8 * 20).collect();
    let images = idx(0x803, &[2, 3, 2], &pixels);
    std::fs::write(dir.join("img"), &images).expect("write");
    let (n, r, c, got) = read_images(&dir.join("img"), Some(&hex(&images))).expect("valid");
    assert_eq!((n, r, c, got), (2, 3, 2, pixels));
    let labels = idx(0x801, &[3], &[7, 0, 9]);
    std::fs::write(dir.join("lab"), &labels).expect("write");
    assert_eq!(
        read_labels(&dir.join("lab"), None).expect("valid"),
        [7, 0, 9]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_magic_truncation_and_checksums_are_typed_errors_naming_the_file() {
    let dir = temp("bad");
    let path = dir.join("t10k-images-idx3-ubyte");
    let images = idx(0x803, &[2, 2, 2], &[1; 8]);
    // Labels where images are expected.
    std::fs::write(&path, idx(0x801, &[8], &[1; 8])).expect("write");
    match read_images(&path, None) {
        Err(AeError::BadMagic {
            expected: 0x803,
            got: 0x801,
            ..
        }) => {}
        other => panic!("expected BadMagic, got {other:?}"),
    }
    for (bytes, what) in [
        (&images[..images.len() - 3], "truncated"),
        (&images[..7], "header"),
    ] {
        std::fs::write(&path, bytes).expect("write");
        match read_images(&path, None) {
            Err(e @ AeError::BadIdx { .. }) => {
                let message = e.to_string();
                assert!(message.contains(what) && message.contains("t10k-images-idx3-ubyte"));
                assert!(message.contains("scripts/setup --mnist"), "{message}");
            }
            other => panic!("expected BadIdx ({what}), got {other:?}"),
        }
    }
    std::fs::write(&path, &images).expect("write");
    match read_images(&path, Some(TEST_IMAGES.sha256)) {
        Err(AeError::ChecksumMismatch { expected, got, .. }) => {
            assert_eq!((expected.as_str(), got), (TEST_IMAGES.sha256, hex(&images)))
        }
        other => panic!("expected ChecksumMismatch, got {other:?}"),
    }
    // A folder with the wrong files (or none) is an error naming the first file.
    match Mnist::load(&dir) {
        Err(e @ AeError::MissingData { .. }) => {
            assert!(e.to_string().contains(TRAIN_IMAGES.name), "{e}")
        }
        other => panic!("expected MissingData, got {other:?}"),
    }
    std::fs::copy(&path, dir.join(TRAIN_IMAGES.name)).expect("copy");
    assert!(matches!(
        Mnist::load(&dir),
        Err(AeError::ChecksumMismatch { .. })
    ));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn batches_cover_each_epoch_once_and_depend_only_on_seed_and_iteration() {
    let stream = Batches::new(10, 3, 7).expect("valid");
    assert_eq!(stream.per_epoch(), 3);
    for epoch in 0..3 {
        let mut seen: Vec<i64> = (0..3)
            .flat_map(|k| Vec::<i64>::try_from(stream.indices(3 * epoch + k)).expect("i64"))
            .collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 9, "epoch {epoch}: 9 distinct items");
    }
    let again = Batches::new(10, 3, 7).expect("valid");
    assert!(stream.indices(4).equal(&again.indices(4)));
    assert!(
        !stream.indices(1).equal(&stream.indices(4)),
        "epochs reshuffle"
    );
    let other = Batches::new(10, 3, 8).expect("valid");
    assert!(!(0..3).all(|i| stream.indices(i).equal(&other.indices(i))));
    let data = Tensor::arange(20, (Kind::Float, tch::Device::Cpu)).view([10, 2]);
    let b = stream.batch(&data, 2);
    let first = stream.indices(2).int64_value(&[0]);
    assert_eq!(b.double_value(&[0, 1]), (2 * first + 1) as f64);
    assert!(
        matches!(Batches::new(3, 4, 0), Err(AeError::InvalidConfig { value, .. }) if value == 4.0)
    );
    assert!(matches!(
        Batches::new(3, 0, 0),
        Err(AeError::InvalidConfig { .. })
    ));
}

/// P(pixel = 1) = intensity. 200 000 draws at 0.3: the standard error is 0.001, the bound
/// 0.005 (5 standard errors); the binarisations of two calls differ.
#[test]
fn binarisation_is_bernoulli_in_the_intensity_and_fresh_each_time() {
    let _seed = mvl_manifold::testing::seeded(5);
    let x = Tensor::full([1000, 200], 0.3, (Kind::Float, tch::Device::Cpu));
    let a = binarize(&x);
    let mean = a.mean(Kind::Double).double_value(&[]);
    assert!((mean - 0.3).abs() < 0.005, "{mean}");
    let ones = a.eq(1.0).logical_or(&a.eq(0.0)).all().int64_value(&[]);
    assert_eq!(ones, 1);
    assert!(!binarize(&x).equal(&a));
    let edges = Tensor::from_slice(&[0.0f32, 1.0]);
    assert_eq!(
        Vec::<f32>::try_from(binarize(&edges)).expect("f32"),
        [0.0, 1.0]
    );
}

/// The real files, when `scripts/setup --mnist` has fetched them.
#[test]
fn the_real_mnist_files_load_when_present() {
    let dir = default_dir();
    if !dir.join(TRAIN_IMAGES.name).is_file() {
        eprintln!(
            "skipped: no MNIST files in {} (run scripts/setup --mnist)",
            dir.display()
        );
        return;
    }
    let mnist = Mnist::load(&dir).expect("verified files");
    assert_eq!(mnist.train_images.size(), vec![60_000, 784]);
    assert_eq!(mnist.test_images.size(), vec![10_000, 784]);
    assert_eq!(mnist.test_subset(16).size(), vec![16, 784]);
    let max = mnist.train_images.max().double_value(&[]);
    assert!(mnist.train_images.min().double_value(&[]) == 0.0 && max == 1.0);
    // The first training label is 5 and the first test label 7 (the well-known first digits).
    assert_eq!(mnist.train_labels.int64_value(&[0]), 5);
    assert_eq!(mnist.test_labels.int64_value(&[0]), 7);
}
