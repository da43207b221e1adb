//! `reflectionpad`: `nn.ReflectionPad2d`, an integer or `(left, right, top,
//! bottom)`: the border mirrored, without repeating the edge.

use crate::onnx::{Attr, Lower};
use crate::shape::Op;
use super::{Bound, Emit, Io, Layer, Spec, Twin, Ty, lit, req};
use quote::quote;

/// The kind.
pub static SPEC: Spec = Spec {
    name: "reflectionpad",
    pytorch: "nn.ReflectionPad2d",
    params: &[req("padding", Ty::Sides)],
    build: |a| {
        Some(Box::new(ReflectionPad {
            sides: a.sides("padding")?,
        }))
    },
};

/// `nn.ReflectionPad2d`'s padding.
#[derive(Debug, Clone, PartialEq)]
pub struct ReflectionPad {
    /// `[left, right, top, bottom]`.
    pub sides: [u64; 4],
}

impl Layer for ReflectionPad {
    /// Rule: each side pads less than the input is long on that axis, since
    /// the mirror image comes from inside it (PyTorch: "Padding size should be
    /// less than the corresponding input dimension").
    fn op(&self) -> Op {
        Op::Pad {
            sides: super::zeropad::pad_sides(self.sides),
            reflect: true,
        }
    }

    fn emit(&self, _io: &Io) -> Emit {
        let [l, r, t, bt] = self.sides.map(lit);
        Emit::function(quote!(x.pad((#l, #r, #t, #bt), burn::tensor::ops::PadMode::Reflect)))
    }

    fn onnx(&self, o: &mut Lower) {
        let [l, r, t, b] = self.sides.map(|s| s as i64);
        let pads = o.ints(&[8], vec![0, 0, t, l, 0, 0, b, r]);
        o.apply("Pad", &[&pads], vec![("mode", Attr::Text("reflect"))]);
    }

    fn pytorch(&self, b: &Bound) -> String {
        Twin::new(b).positional(&["padding"]).finish()
    }
}
