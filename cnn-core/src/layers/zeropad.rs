//! `zeropad`: `nn.ZeroPad2d`, an integer or `(left, right, top, bottom)`.

use super::{Bound, Emit, Inferred, Io, Layer, Spec, Twin, Ty, lit, req};
use crate::check::Walk;
use crate::model::Shape;
use crate::shape;
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
    fn infer(&self, walk: &mut Walk, b: &Bound, input: Shape) -> Option<Inferred> {
        let Shape::Map([c, h, w]) = input else {
            return None;
        };
        let [oh, ow] = walk.count(b, shape::pad_out([h, w], self.sides))?;
        Some(walk.out(Shape::Map([c, oh, ow]), 0, 0, |r, _| Some(r)))
    }

    fn emit(&self, _io: &Io) -> Emit {
        let [l, r, t, bt] = self.sides.map(lit);
        Emit::function(quote!(x.pad((#l, #r, #t, #bt), 0.0)))
    }

    fn pytorch(&self, b: &Bound) -> String {
        Twin::new(b).positional(&["padding"]).finish()
    }
}
