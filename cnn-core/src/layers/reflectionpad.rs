//! `reflectionpad`: `nn.ReflectionPad2d`, an integer or `(left, right, top,
//! bottom)`: the border mirrored, without repeating the edge.

use super::{Bound, Emit, Inferred, Io, Layer, Spec, Twin, Ty, lit, req};
use crate::check::Walk;
use crate::model::Shape;
use crate::shape;
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
    fn infer(&self, walk: &mut Walk, b: &Bound, input: Shape) -> Option<Inferred> {
        let Shape::Map([c, h, w]) = input else {
            return None;
        };
        let [left, right, top, bottom] = self.sides;
        let widest = [(left.max(right), w, "width"), (top.max(bottom), h, "height")]
            .into_iter()
            .find(|&(pad, size, _)| pad >= size);
        if let Some((pad, size, axis)) = widest {
            walk.error(
                b,
                format!(
                    "`{}` mirrors {pad} pixels, but its input's {axis} is {size}\n= note: a reflection pads by less than the input is long: at most {}\n= help: pad less, or use `zeropad`",
                    b.render(),
                    size - 1
                ),
            );
            return None;
        }
        let [oh, ow] = walk.count(b, shape::pad_out([h, w], self.sides))?;
        Some(walk.out(Shape::Map([c, oh, ow]), 0, 0, |r, _| Some(r)))
    }

    fn emit(&self, _io: &Io) -> Emit {
        let [l, r, t, bt] = self.sides.map(lit);
        Emit::function(quote!(x.pad((#l, #r, #t, #bt), burn::tensor::ops::PadMode::Reflect)))
    }

    fn pytorch(&self, b: &Bound) -> String {
        Twin::new(b).positional(&["padding"]).finish()
    }
}
