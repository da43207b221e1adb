//! `pixel_shuffle` and `pixel_unshuffle`: `nn.PixelShuffle` and
//! `nn.PixelUnshuffle`, trading channels for resolution and back.

use crate::onnx::{Attr, Lower};
use crate::shape::Op;
use super::{Bound, Emit, Io, Layer, Spec, Twin, Ty, lit, req};
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
    fn op(&self) -> Op {
        if self.up {
            Op::PixelShuffle {
                factor: self.factor,
            }
        } else {
            Op::PixelUnshuffle {
                factor: self.factor,
            }
        }
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

    /// `pixel_shuffle` is `DepthToSpace` in `CRD` order; ONNX's
    /// `SpaceToDepth` orders channels otherwise, so `pixel_unshuffle` is
    /// written as PyTorch writes it: reshape, transpose, reshape.
    fn onnx(&self, o: &mut Lower) {
        let r = self.factor;
        if self.up {
            o.apply(
                "DepthToSpace",
                &[],
                vec![("blocksize", Attr::Int(r as i64)), ("mode", Attr::Text("CRD"))],
            );
            return;
        }
        let ([c, h, w], out) = (o.input_map(), o.output_map());
        o.reshape(&[c, h / r, r, w / r, r]);
        o.apply("Transpose", &[], vec![("perm", Attr::Ints(vec![0, 1, 3, 5, 2, 4]))]);
        o.reshape(&out);
    }

    fn pytorch(&self, b: &Bound) -> String {
        Twin::new(b)
            .positional(&["upscale_factor", "downscale_factor"])
            .finish()
    }
}
