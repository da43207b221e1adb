//! `reflectionpad`: `nn.ReflectionPad2d`, an integer or `(left, right, top,
//! bottom)`: the border mirrored, without repeating the edge.

use crate::onnx::{Attr, Lower};
use crate::shape::Op;
use super::{Bound, Emit, Io, Layer, Spec, Twin, Ty, req};
use quote::quote;

/// The kind.
pub static SPEC: Spec = Spec {
    name: "reflectionpad",
    pytorch: "nn.ReflectionPad2d",
    params: &[req("padding", Ty::Sides)],
    build: |a| {
        Some(Box::new(ReflectionPad {
            sides: a.sides("padding")?,
            rank: a.rank(),
        }))
    },
};

/// `nn.ReflectionPad2d`'s padding.
#[derive(Debug, Clone, PartialEq)]
pub struct ReflectionPad {
    /// `[left, right, top, bottom, front, back]`, 0 on the axes the map lacks.
    pub sides: [u64; 6],
    /// The map's spatial rank.
    pub rank: usize,
}

impl Layer for ReflectionPad {
    /// Rule: each side pads less than the input is long on that axis, since
    /// the mirror image comes from inside it (PyTorch: "Padding size should be
    /// less than the corresponding input dimension").
    fn op(&self) -> Op {
        Op::Pad {
            sides: self.sides,
            reflect: true,
        }
    }

    fn emit(&self, _io: &Io) -> Emit {
        let pairs = super::zeropad::pad_pairs(self.sides, self.rank);
        Emit::function(quote!(x.pad([#pairs], burn::tensor::ops::PadMode::Reflect)))
    }

    fn onnx(&self, o: &mut Lower) {
        let pads = super::zeropad::onnx_pads(self.sides, self.rank);
        let pads = o.ints(&[pads.len() as i64], pads);
        o.apply("Pad", &[&pads], vec![("mode", Attr::Text("reflect"))]);
    }

    fn pytorch(&self, b: &Bound) -> String {
        Twin::new(b).positional(&["padding"]).finish()
    }
}
