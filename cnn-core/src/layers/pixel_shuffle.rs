//! `pixel_shuffle` and `pixel_unshuffle`: `nn.PixelShuffle` and
//! `nn.PixelUnshuffle`, trading channels for resolution and back.

use super::{Bound, Emit, Inferred, Io, Layer, Spec, Twin, Ty, lit, req};
use crate::check::Walk;
use crate::model::Shape;
use crate::shape::{self, ShapeError};
use quote::quote;

/// `pixel_shuffle`.
pub static PIXEL_SHUFFLE: Spec = Spec {
    name: "pixel_shuffle",
    pytorch: "nn.PixelShuffle",
    params: &[req("upscale_factor", Ty::Positive)],
    build: |a| {
        Some(Box::new(PixelShuffle {
            factor: a.int("upscale_factor")?,
            up: true,
        }))
    },
};

/// `pixel_unshuffle`.
pub static PIXEL_UNSHUFFLE: Spec = Spec {
    name: "pixel_unshuffle",
    pytorch: "nn.PixelUnshuffle",
    params: &[req("downscale_factor", Ty::Positive)],
    build: |a| {
        Some(Box::new(PixelShuffle {
            factor: a.int("downscale_factor")?,
            up: false,
        }))
    },
};

/// A pixel shuffle.
#[derive(Debug, Clone, PartialEq)]
pub struct PixelShuffle {
    /// `r`.
    pub factor: u64,
    /// Channels to pixels (`pixel_shuffle`), else back.
    pub up: bool,
}

impl Layer for PixelShuffle {
    /// Rules: `pixel_shuffle(r)` needs channels divisible by r² (PyTorch:
    /// "pixel_shuffle expects its input's 'channel' dimension to be divisible
    /// by the square of upscale_factor"); `pixel_unshuffle(r)` needs a height
    /// and width divisible by r.
    fn infer(&self, walk: &mut Walk, b: &Bound, input: Shape) -> Option<Inferred> {
        let Shape::Map(m @ [c, h, w]) = input else {
            return None;
        };
        let r = self.factor;
        let out = if self.up {
            shape::pixel_shuffle_out(m, r)
        } else {
            shape::pixel_unshuffle_out(m, r)
        };
        let out = match out {
            Ok(out) => out,
            Err(ShapeError::Indivisible { .. }) if self.up => {
                let fit = shape::largest_square_divisor_root_up_to(c, r);
                let square = u128::from(r) * u128::from(r);
                let help = if fit > 1 {
                    format!("write `pixel_shuffle({fit})`, or make the layer before yield a multiple of {square} channels")
                } else {
                    format!("make the layer before yield a multiple of {square} channels")
                };
                walk.error(
                    b,
                    format!(
                        "`{}` needs channels divisible by {r}² = {square}, but {c} arrive\n= note: each group of {square} channels becomes one channel {r}× taller and wider\n= help: {help}",
                        b.render(),
                    ),
                );
                return None;
            }
            Err(ShapeError::Indivisible { .. }) => {
                let trace = walk.spatial_trace();
                let note = if trace.contains('→') {
                    format!("\n= note: the spatial size went {trace}")
                } else {
                    String::new()
                };
                walk.error(
                    b,
                    format!(
                        "`{}` needs a height and width divisible by {r}, but its input is {h}×{w}{note}\n= help: pad or crop the maps to a multiple of {r} before it (`zeropad`)",
                        b.render(),
                    ),
                );
                return None;
            }
            Err(e) => return walk.count(b, Err(e)),
        };
        Some(walk.out(Shape::Map(out), 0, 0, |rf, _| {
            if self.up {
                rf.resample(1, 1, r)
            } else {
                rf.window(r, r)
            }
        }))
    }

    fn emit(&self, _io: &Io) -> Emit {
        let r = lit(self.factor);
        if self.up {
            Emit::module(
                quote!(burn::nn::PixelShuffle),
                quote!(burn::nn::PixelShuffleConfig::new(#r).init()),
            )
        } else {
            Emit::module(
                quote!(burn::nn::PixelUnshuffle),
                quote!(burn::nn::PixelUnshuffleConfig::new(#r).init()),
            )
        }
    }

    fn pytorch(&self, b: &Bound) -> String {
        Twin::new(b)
            .positional(&["upscale_factor", "downscale_factor"])
            .finish()
    }
}
