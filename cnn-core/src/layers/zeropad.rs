//! `zeropad`: `nn.ZeroPad2d`, an integer or `(left, right, top, bottom)`.

use crate::onnx::Lower;
use crate::shape::Op;
use super::{Bound, Emit, Io, Layer, Spec, Twin, Ty, lit, req};
use quote::quote;

/// The kind.
pub static SPEC: Spec = Spec {
    name: "zeropad",
    pytorch: "nn.ZeroPad2d",
    params: &[req("padding", Ty::Sides)],
    build: |a| {
        Some(Box::new(ZeroPad {
            sides: a.sides("padding")?,
        }))
    },
};

/// `nn.ZeroPad2d`'s padding.
#[derive(Debug, Clone, PartialEq)]
pub struct ZeroPad {
    /// `[left, right, top, bottom]`.
    pub sides: [u64; 4],
}

impl Layer for ZeroPad {
    fn op(&self) -> Op {
        Op::Pad {
            sides: pad_sides(self.sides),
            reflect: false,
        }
    }

    fn emit(&self, _io: &Io) -> Emit {
        let [l, r, t, bt] = self.sides.map(lit);
        Emit::function(quote!(x.pad((#l, #r, #t, #bt), 0.0)))
    }

    fn onnx(&self, o: &mut Lower) {
        let [l, r, t, b] = self.sides.map(|s| s as i64);
        let pads = o.ints(&[8], vec![0, 0, t, l, 0, 0, b, r]);
        o.apply("Pad", &[&pads], vec![]);
    }

    fn pytorch(&self, b: &Bound) -> String {
        Twin::new(b).positional(&["padding"]).finish()
    }
}

/// `(left, right, top, bottom)` as the shape rule's six sides, none in depth.
pub fn pad_sides([left, right, top, bottom]: [u64; 4]) -> [u64; 6] {
    [left, right, top, bottom, 0, 0]
}
