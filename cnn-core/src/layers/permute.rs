//! `permute`: torchvision's `Permute`, to channels-last (`permute(0, 2, 3,
//! 1)`) and back (`permute(0, 3, 1, 2)`). Shapes stay written `[C, H, W]`;
//! the checker tracks the layout and allows only the layers that work on
//! the last axis, or on any layout, between the two.

use super::{Bound, Emit, Fast, Io, Layer, Layout, Spec, Twin, Ty, req};
use crate::walk::Walk;
use crate::onnx::{Lower, ints};
use crate::shape::Op;
use quote::quote;

/// The kind.
pub static SPEC: Spec = Spec {
    name: "permute",
    pytorch: "Permute",
    params: &[
        req("d0", Ty::Axis),
        req("d1", Ty::Axis),
        req("d2", Ty::Axis),
        req("d3", Ty::Axis),
    ],
    build: |a| {
        Some(Box::new(Permute {
            dims: [a.int("d0")?, a.int("d1")?, a.int("d2")?, a.int("d3")?],
        }))
    },
};

const TO_LAST: [u64; 4] = [0, 2, 3, 1];
const TO_FIRST: [u64; 4] = [0, 3, 1, 2];

/// The axes in their new order.
#[derive(Debug, Clone, PartialEq)]
pub struct Permute {
    /// The permutation.
    pub dims: [u64; 4],
}

impl Layer for Permute {
    fn in_notes(&self) -> bool {
        false
    }

    fn layout(&self) -> Layout {
        if self.dims == TO_FIRST {
            Layout::ToFirst
        } else {
            Layout::ToLast
        }
    }

    /// Rule: only the two permutations between channels-first and
    /// channels-last (the batch stays first; the compiler tracks no other layout).
    fn check_arguments(&self, b: &Bound, walk: &mut Walk) {
        if self.dims != TO_LAST && self.dims != TO_FIRST {
            walk.error(
                b,
                format!(
                    "`{}` is neither of the two permutations `cnn!` tracks\n= help: write `permute(0, 2, 3, 1)` to channels-last, `permute(0, 3, 1, 2)` back",
                    b.render()
                ),
            );
        }
    }

    fn op(&self) -> Op {
        Op::Same
    }

    fn emit(&self, _io: &Io) -> Emit {
        let [a, b, c, d] = self.dims.map(|d| d as usize);
        Emit::function(quote!(x.permute([#a, #b, #c, #d])))
    }

    fn fast(&self) -> Fast {
        Fast::Permute
    }

    fn onnx(&self, o: &mut Lower) {
        o.apply("Transpose", &[], vec![("perm", ints(self.dims))]);
    }

    fn pytorch(&self, b: &Bound) -> String {
        let [a, c, d, e] = self.dims;
        Twin::new(b).text(format!("[{a}, {c}, {d}, {e}]")).finish()
    }

    fn pytorch_class(&self) -> Option<(&'static str, &'static str)> {
        Some(("Permute", PERMUTE))
    }
}

/// torchvision's `Permute` (`torchvision/ops/misc.py`).
const PERMUTE: &str = "class Permute(nn.Module):
    \"\"\"torchvision's `Permute`.\"\"\"

    def __init__(self, dims):
        super().__init__()
        self.dims = dims

    def forward(self, x):
        return torch.permute(x, self.dims)
";
