//! Which instruction set the kernels run on: chosen once at run time from
//! what the processor reports, so one binary is fast on an AVX-512 machine
//! and still correct on any x86-64 or other processor.

use std::sync::OnceLock;

/// An instruction set with kernels of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Isa {
    /// x86-64 with AVX-512F: 16 lanes, 32 registers, masked loads and stores.
    Avx512,
    /// x86-64 with AVX2 and FMA: 8 lanes, 16 registers.
    Avx2,
    /// Plain Rust, for any processor (and the reference the others are tested against).
    Portable,
}

impl Isa {
    /// The fastest set this processor supports, unless the environment
    /// variable `CNN_KERNELS_ISA` (`avx512`, `avx2`, `portable`) names a
    /// supported one. Read once.
    pub fn best() -> Isa {
        static BEST: OnceLock<Isa> = OnceLock::new();
        *BEST.get_or_init(|| {
            let asked = std::env::var("CNN_KERNELS_ISA")
                .ok()
                .and_then(|v| Isa::parse(&v));
            match asked {
                Some(isa) if isa.supported() => isa,
                _ => Isa::all()
                    .into_iter()
                    .find(|isa| isa.supported())
                    .unwrap_or(Isa::Portable),
            }
        })
    }

    /// Every set, fastest first.
    pub fn all() -> [Isa; 3] {
        [Isa::Avx512, Isa::Avx2, Isa::Portable]
    }

    /// The sets this processor runs: what the tests drive every kernel through.
    pub fn supported_sets() -> Vec<Isa> {
        Isa::all()
            .into_iter()
            .filter(|isa| isa.supported())
            .collect()
    }

    /// The target features its code is compiled with, as every
    /// `target_feature` attribute of this crate lists them: the one list
    /// that [`Isa::supported`] checks, so that no kernel runs an instruction
    /// detection did not find (`tests/soundness.rs` reads the sources to
    /// keep each attribute's list equal to a set's).
    pub fn features(self) -> &'static [&'static str] {
        match self {
            Isa::Avx512 => &["avx512f", "avx512vl", "fma"],
            Isa::Avx2 => &["avx2", "fma"],
            Isa::Portable => &[],
        }
    }

    /// Whether this processor runs it: it has every one of [`Isa::features`].
    pub fn supported(self) -> bool {
        self.features().iter().all(|feature| detected(feature))
    }

    /// `avx512`, `avx2` or `portable`.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Avx512 => "avx512",
            Isa::Avx2 => "avx2",
            Isa::Portable => "portable",
        }
    }

    fn parse(text: &str) -> Option<Isa> {
        Isa::all().into_iter().find(|isa| isa.name() == text.trim())
    }
}

/// Whether the processor has `feature` (a name of [`Isa::features`]; any
/// other name is not detected).
fn detected(feature: &str) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        match feature {
            "avx512f" => has!("avx512f"),
            "avx512vl" => has!("avx512vl"),
            "avx2" => has!("avx2"),
            "fma" => has!("fma"),
            _ => false,
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = feature;
        false
    }
}
