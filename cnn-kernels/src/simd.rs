//! Kernels written once as plain Rust and compiled for each instruction set:
//! a generic body marked `#[inline(always)]` is inlined into one function
//! per set that carries `#[target_feature]`, so the compiler vectorises it
//! for AVX-512 or AVX2 (with fused multiply-adds) and, for the portable
//! variant, for the baseline target.

/// A multiply-add: fused where the instruction set has it.
pub(crate) trait MulAdd {
    /// `a · b + c`.
    fn mul_add(a: f32, b: f32, c: f32) -> f32;
}

/// `f32::mul_add`: one instruction with FMA, rounded once.
pub(crate) struct Fused;

impl MulAdd for Fused {
    #[inline(always)]
    fn mul_add(a: f32, b: f32, c: f32) -> f32 {
        a.mul_add(b, c)
    }
}

/// A multiply and an add: the portable variant (a fused multiply-add
/// without the instruction is a slow library call).
pub(crate) struct Plain;

impl MulAdd for Plain {
    #[inline(always)]
    fn mul_add(a: f32, b: f32, c: f32) -> f32 {
        a * b + c
    }
}

/// Lanes of one channel block in the generic kernels: one AVX-512 register,
/// two AVX2 ones.
pub(crate) const LANES: usize = 16;

/// One channel block's values, which the compiler keeps in registers.
pub(crate) type Lanes = [f32; LANES];

/// The `len ≤ 16` values at `at`, zero past them: a fixed 16-float copy (one
/// load, no call to memcpy) when they are all.
#[inline(always)]
pub(crate) fn load(values: &[f32], at: usize, len: usize) -> Lanes {
    if len == LANES
        && let Some(chunk) = values[at..].first_chunk::<LANES>()
    {
        return *chunk;
    }
    let mut v = [0.0; LANES];
    for (v, x) in v.iter_mut().zip(&values[at..at + len]) {
        *v = *x;
    }
    v
}

/// Writes the first `len` lanes of `o` at `at`: a fixed 16-float copy when
/// they are all.
#[inline(always)]
pub(crate) fn store(values: &mut [f32], at: usize, o: &Lanes, len: usize) {
    if len == LANES {
        values[at..at + LANES].copy_from_slice(o);
    } else {
        for (v, o) in values[at..at + len].iter_mut().zip(o) {
            *v = *o;
        }
    }
}

/// `fn $name(isa: Isa, args…)` running `$body(args…)` compiled for `isa`;
/// written `= body::<MulAdd>;`, the body is generic over [`MulAdd`] and
/// gets the fused variant where the set has FMA.
macro_rules! per_isa {
    ($(#[$doc:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) = $body:ident::<MulAdd>;) => {
        $crate::simd::per_isa!(@emit $(#[$doc])* $vis fn $name($($arg: $ty),*)
            fused: $body::<$crate::simd::Fused>, plain: $body::<$crate::simd::Plain>);
    };
    ($(#[$doc:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) = $body:ident;) => {
        $crate::simd::per_isa!(@emit $(#[$doc])* $vis fn $name($($arg: $ty),*)
            fused: $body, plain: $body);
    };
    (@emit $(#[$doc:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),*)
        fused: $fused:path, plain: $plain:path) => {
        $(#[$doc])*
        #[allow(clippy::too_many_arguments)]
        $vis fn $name(isa: $crate::isa::Isa, $($arg: $ty),*) {
            match isa {
                #[cfg(target_arch = "x86_64")]
                $crate::isa::Isa::Avx512 => {
                    #[target_feature(enable = "avx512f,avx512vl,fma")]
                    #[allow(clippy::too_many_arguments)]
                    fn run($($arg: $ty),*) {
                        $fused($($arg),*)
                    }
                    assert!(isa.supported(), "{isa:?} is not supported by this processor");
                    // SAFETY: the processor has the features `run` was compiled
                    // for (checked above); the body is safe code.
                    unsafe { run($($arg),*) }
                }
                #[cfg(target_arch = "x86_64")]
                $crate::isa::Isa::Avx2 => {
                    #[target_feature(enable = "avx2,fma")]
                    #[allow(clippy::too_many_arguments)]
                    fn run($($arg: $ty),*) {
                        $fused($($arg),*)
                    }
                    assert!(isa.supported(), "{isa:?} is not supported by this processor");
                    // SAFETY: as above.
                    unsafe { run($($arg),*) }
                }
                _ => $plain($($arg),*),
            }
        }
    };
}
pub(crate) use per_isa;
