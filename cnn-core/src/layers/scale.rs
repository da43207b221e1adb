//! `scale`: a bare learned parameter of shape `[C, 1, 1]` multiplied in
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
        let field = Field {
            ty: quote!(burn::module::Param<burn::tensor::Tensor<3>>),
            init: quote!(burn::module::Param::from_tensor(
                burn::tensor::Tensor::<3>::full([#c, 1, 1], #init, device)
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
            "torch.full(({}, 1, 1), {})",
            self.channels,
            float(self.init)
        ))
    }

    fn keys(&self) -> &'static [(&'static str, &'static str)] {
        &[("", "")]
    }
}
