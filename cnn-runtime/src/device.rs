//! Choosing where a network runs. burn 0.22 keeps the backend in the
//! [`Device`] value, so a generated network runs on whatever device it is
//! given; these functions pick one among the backends this crate's features
//! compiled in (`flex`, the default; `ndarray`; `wgpu`).
//!
//! Another burn backend is one feature away: depend on `burn` yourself with
//! that feature (for instance `vulkan` or `metal`) and pass its device, e.g.
//! `Device::vulkan(Default::default())`, to `Net::init`. burn's `cuda` and
//! `cpu` backends download LLVM in their build scripts and do not build offline.

use burn::tensor::Device;

/// The best device compiled in and present, as PyTorch's
/// `cuda if available else cpu`: a GPU through wgpu when the `wgpu` feature is
/// on and an adapter answers, else the CPU (see [`cpu`]).
pub fn device() -> Device {
    #[cfg(feature = "wgpu")]
    if let Some(gpu) = gpu() {
        return gpu;
    }
    cpu()
}

/// The CPU: burn's flex backend when the `flex` feature is on (the default),
/// else ndarray, else whatever `Device::default()` selects.
pub fn cpu() -> Device {
    #[cfg(feature = "flex")]
    {
        Device::flex()
    }
    #[cfg(all(not(feature = "flex"), feature = "ndarray"))]
    {
        ndarray()
    }
    #[cfg(not(any(feature = "flex", feature = "ndarray")))]
    {
        Device::default()
    }
}

/// burn's flex backend: pure Rust, SIMD, multi-threaded.
#[cfg(feature = "flex")]
pub fn flex() -> Device {
    Device::flex()
}

/// burn's ndarray backend (deprecated upstream in burn 0.22; kept working here).
#[cfg(feature = "ndarray")]
#[allow(deprecated)] // burn deprecates ndarray in favour of flex; our users still ask for it.
pub fn ndarray() -> Device {
    Device::ndarray()
}

/// The first GPU wgpu finds, if one answers: `None` on a machine without an
/// adapter, instead of the panic a plain `Device::wgpu` gives there.
#[cfg(feature = "wgpu")]
pub fn gpu() -> Option<Device> {
    use burn::tensor::{DeviceKind, Tensor};
    // wgpu panics where no adapter exists; probing with one tiny tensor turns
    // that into `None`. The default hook would print the panic, so it is
    // silenced for the probe.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let probe = std::panic::catch_unwind(|| {
        let device = Device::wgpu(DeviceKind::DefaultDevice);
        let sum: f32 = Tensor::<1>::ones([4], &device).sum().into_scalar();
        (sum == 4.0).then_some(device)
    });
    std::panic::set_hook(hook);
    probe.ok().flatten()
}
