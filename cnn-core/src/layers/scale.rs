//! `scale`: a bare learned parameter of shape `[C, 1, 1]` (`[C, 1]` on a
//! 1-D map, `[C, 1, 1, 1]` on a 3-D one) multiplied in
//! (ConvNeXt's layer scale). Its key is the node's name itself, with no
//! `.weight`: `layer_scale: scale(96, init = 1e-6)` is `….layer_scale`.

use super::{
    Bound, Emit, Fast, Io, Layer, Plan, Spec, Twin, Ty, Val, float, float_lit, lit, opt, req,
};
use crate::model::Field;
use crate::onnx::Lower;
use crate::shape::Op;
use quote::quote;

/// The kind.
pub static SPEC: Spec = Spec {
    name: "scale",
    pytorch: "nn.Parameter",
    params: &[
        req("channels", Ty::Positive),
        opt("init", Ty::Number, Val::Num(1.0)),
    ],
    build: |a| {
        Some(Box::new(Scale {
            channels: a.int("channels")?,
            init: a.num("init")?,
            rank: a.rank(),
        }))
    },
};

/// The parameter's size and initial value.
#[derive(Debug, Clone, PartialEq)]
pub struct Scale {
    /// `C`.
    pub channels: u64,
    /// Every entry's initial value.
    pub init: f64,
    /// The map's spatial rank: the parameter is `[C]` and as many 1s.
    pub rank: usize,
}

impl Layer for Scale {
    fn in_notes(&self) -> bool {
        false
    }

    fn op(&self) -> Op {
        Op::PerChannel {
            arg: "channels",
            channels: self.channels,
            params: self.channels,
            flat: false,
        }
    }

    fn emit(&self, io: &Io) -> Emit {
        let krate = io.krate;
        let (c, init) = (lit(self.channels), float_lit(self.init));
        let p = proc_macro2::Literal::usize_unsuffixed(self.rank + 1);
        let ones = (0..self.rank).map(|_| lit(1));
        let field = Field {
            ty: quote!(burn::module::Param<burn::tensor::Tensor<#p>>),
            init: quote!(burn::module::Param::from_tensor(
                burn::tensor::Tensor::<#p>::full([#c, #(#ones),*], #init, device)
            )),
        };
        Emit {
            field: Some(field),
            plan: Plan::WithModule(quote!(#krate::__private::scale)),
        }
    }

    fn fast(&self) -> Fast {
        Fast::Scale
    }

    fn onnx(&self, o: &mut Lower) {
        let scale = o.param("");
        o.apply("Mul", &[&scale], vec![]);
    }

    fn pytorch(&self, b: &Bound) -> String {
        Twin::new(b).finish()
    }

    fn pytorch_parameter(&self) -> Option<String> {
        Some(format!(
            "torch.full(({}{}), {})",
            self.channels,
            ", 1".repeat(self.rank),
            float(self.init)
        ))
    }

    fn keys(&self) -> &'static [(&'static str, &'static str)] {
        &[("", "")]
    }
}
