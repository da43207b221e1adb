//! `--memory`: ResNet-18's resident set and peak on one path.

use super::resnet18;
use cnn::burn::tensor::{Distribution, Tensor};
use cnn::fast::{Path, with_path};

/// Resident memory in bytes, and its high-water mark since the last reset.
pub fn rss() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// ResNet-18's memory on one path and batch: resident after a first
/// forward pass (weights, packed weights, kept buffers) and the peak above
/// that during a second one (Linux: the high-water mark is reset by
/// writing 5 to /proc/self/clear_refs).
pub fn memory(path: Path, batch: usize) {
    let device = cnn::flex();
    let net = resnet18::ResNet18::init(&device);
    let x = Tensor::<4>::random(
        [batch, 3, 224, 224],
        Distribution::Normal(0.0, 1.0),
        &device,
    );
    with_path(path, || drop(net.forward(x.clone()).into_data()));
    let reset = std::fs::write("/proc/self/clear_refs", "5");
    let (resting, _) = rss();
    with_path(path, || drop(net.forward(x.clone()).into_data()));
    let (_, peak) = rss();
    let name = if path == Path::Fast { "fast" } else { "burn" };
    println!(
        "memory resnet18 {batch} {name} resting {resting} peak_above {} packed {} weights {} reset {}",
        peak.saturating_sub(resting),
        net.packed_bytes(),
        resnet18::ResNet18::PARAMS * 4,
        reset.is_ok()
    );
}
