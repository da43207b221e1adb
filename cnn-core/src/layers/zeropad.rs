//! `zeropad`: `nn.ZeroPad2d`, an integer or `(left, right, top, bottom)`
//! (`nn.ZeroPad1d`'s `(left, right)`, `nn.ZeroPad3d`'s six sides).

use crate::onnx::Lower;
use crate::shape::Op;
use super::{Bound, Emit, Fast, Io, Layer, Spec, Twin, Ty, lit, req};
use proc_macro2::TokenStream;
use quote::quote;

/// The kind.
pub static SPEC: Spec = Spec {
    name: "zeropad",
    pytorch: "nn.ZeroPad2d",
    params: &[req("padding", Ty::Sides)],
    build: |a| {
        Some(Box::new(ZeroPad {
            sides: a.sides("padding")?,
            rank: a.rank(),
        }))
    },
};

/// `nn.ZeroPad2d`'s padding.
#[derive(Debug, Clone, PartialEq)]
pub struct ZeroPad {
    /// `[left, right, top, bottom, front, back]`, 0 on the axes the map lacks.
    pub sides: [u64; 6],
    /// The map's spatial rank.
    pub rank: usize,
}

impl Layer for ZeroPad {
    fn op(&self) -> Op {
        Op::Pad {
            sides: self.sides,
            reflect: false,
        }
    }

    fn emit(&self, _io: &Io) -> Emit {
        let pairs = pad_pairs(self.sides, self.rank);
        Emit::function(quote!(x.pad([#pairs], 0.0)))
    }

    fn fast(&self) -> Fast {
        Fast::ZeroPad(self.sides)
    }

    fn onnx(&self, o: &mut Lower) {
        let pads = onnx_pads(self.sides, self.rank);
        let pads = o.ints(&[pads.len() as i64], pads);
        o.apply("Pad", &[&pads], vec![]);
    }

    fn pytorch(&self, b: &Bound) -> String {
        Twin::new(b).positional(&["padding"]).finish()
    }
}

/// burn's `(before, after)` pairs of the spatial axes, first axis first:
/// `(front, back), (top, bottom), (left, right)` on a 3-D map.
pub fn pad_pairs(sides: [u64; 6], rank: usize) -> TokenStream {
    let pairs = (0..rank).rev().map(|a| {
        let (before, after) = (lit(sides[2 * a]), lit(sides[2 * a + 1]));
        quote!((#before, #after))
    });
    quote!(#(#pairs),*)
}

/// ONNX's `Pad` amounts: every axis's start (batch and channels 0), then
/// every axis's end.
pub fn onnx_pads(sides: [u64; 6], rank: usize) -> Vec<i64> {
    let axes = (0..rank).rev();
    let starts = axes.clone().map(|a| sides[2 * a] as i64);
    let ends = axes.map(|a| sides[2 * a + 1] as i64);
    [0, 0].into_iter().chain(starts).chain([0, 0]).chain(ends).collect()
}
