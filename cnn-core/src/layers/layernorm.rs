//! `layernorm2d` and `layernorm`: torchvision's `LayerNorm2d` (a layer norm
//! over the channels at each position of a map) and `nn.LayerNorm(n)` over
//! the last axis (the channels of a channels-last map, or flat features).

use super::{
    Bound, Emit, Fast, Io, Layer, Layout, Plan, Spec, Takes, Twin, Ty, Val, float_lit, lit, opt,
    req,
};
use crate::model::Field;
use crate::onnx::{Attr, Lower, ints};
use crate::shape::Op;
use quote::quote;

/// `layernorm2d`.
pub static LAYERNORM2D: Spec = Spec {
    name: "layernorm2d",
    pytorch: "LayerNorm2d",
    params: &[
        req("num_channels", Ty::Positive),
        opt("eps", Ty::PositiveNumber, Val::Num(1e-5)),
        opt("affine", Ty::Bool, Val::Bool(true)),
    ],
    build: |a| {
        Some(Box::new(LayerNorm {
            size: a.int("num_channels")?,
            eps: a.num("eps")?,
            affine: a.bool("affine")?,
            bias: true,
            map: true,
        }))
    },
};

/// `layernorm`.
pub static LAYERNORM: Spec = Spec {
    name: "layernorm",
    pytorch: "nn.LayerNorm",
    params: &[
        req("normalized_shape", Ty::Positive),
        opt("eps", Ty::PositiveNumber, Val::Num(1e-5)),
        opt("elementwise_affine", Ty::Bool, Val::Bool(true)),
        opt("bias", Ty::Bool, Val::Bool(true)),
    ],
    build: |a| {
        Some(Box::new(LayerNorm {
            size: a.int("normalized_shape")?,
            eps: a.num("eps")?,
            affine: a.bool("elementwise_affine")?,
            bias: a.bool("bias")?,
            map: false,
        }))
    },
};

/// A layer norm's arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerNorm {
    /// The channels (or features) normalized together.
    pub size: u64,
    /// `eps`.
    pub eps: f64,
    /// Whether it learns a weight (and a bias, if `bias`).
    pub affine: bool,
    /// Whether the affine part has a bias.
    pub bias: bool,
    /// `layernorm2d`: over the channels of a channels-first map.
    pub map: bool,
}

impl Layer for LayerNorm {
    fn takes(&self) -> Takes {
        if self.map { Takes::Maps } else { Takes::Any }
    }

    fn layout(&self) -> Layout {
        if self.map {
            Layout::First
        } else {
            Layout::LastAxis
        }
    }

    fn op(&self) -> Op {
        let params = match (self.affine, self.bias) {
            (false, _) => 0,
            (true, false) => self.size,
            // Past 2⁶³ the totals report the overflow.
            (true, true) => self.size.saturating_mul(2),
        };
        Op::PerChannel {
            arg: if self.map {
                "num_channels"
            } else {
                "normalized_shape"
            },
            channels: self.size,
            params,
            flat: !self.map,
        }
    }

    fn emit(&self, io: &Io) -> Emit {
        let krate = io.krate;
        let eps = float_lit(self.eps);
        if !self.affine {
            let f = if self.map {
                quote!(#krate::__private::layer_norm_2d_plain(x, #eps))
            } else {
                quote!(#krate::__private::layer_norm_plain(x, #eps))
            };
            return Emit::function(f);
        }
        let n = lit(self.size);
        let bias = if self.bias {
            quote!()
        } else {
            quote!(.with_bias(false))
        };
        let field = Field {
            ty: quote!(burn::nn::LayerNorm),
            init: quote!(burn::nn::LayerNormConfig::new(#n).with_epsilon(#eps)#bias.init(device)),
        };
        Emit {
            field: Some(field),
            plan: if self.map {
                Plan::WithModule(quote!(#krate::__private::layer_norm_2d))
            } else {
                Plan::Forward
            },
        }
    }

    fn fast(&self) -> Fast {
        Fast::LayerNorm { eps: self.eps }
    }

    /// `LayerNormalization` over the last axis (opset 17), between two
    /// `Transpose`s for `layernorm2d`; without an affine part its scale is
    /// ones and its bias zeros.
    fn onnx(&self, o: &mut Lower) {
        let n = self.size as i64;
        let scale = if self.affine {
            o.param("weight")
        } else {
            o.floats(&[n], vec![1.0; self.size as usize])
        };
        let bias = if self.affine && self.bias {
            o.param("bias")
        } else {
            o.floats(&[n], vec![0.0; self.size as usize])
        };
        if self.map {
            o.apply("Transpose", &[], vec![("perm", ints([0, 2, 3, 1]))]);
        }
        o.apply(
            "LayerNormalization",
            &[&scale, &bias],
            vec![("axis", Attr::Int(-1)), ("epsilon", Attr::Float(self.eps))],
        );
        if self.map {
            o.apply("Transpose", &[], vec![("perm", ints([0, 3, 1, 2]))]);
        }
    }

    fn pytorch(&self, b: &Bound) -> String {
        let twin = Twin::new(b);
        if self.map {
            let twin = twin.positional(&["num_channels"]).changed(&["eps"]);
            if self.affine {
                twin.finish()
            } else {
                twin.text("elementwise_affine=False".into()).finish()
            }
        } else {
            twin.positional(&["normalized_shape"])
                .changed(&["eps", "elementwise_affine", "bias"])
                .finish()
        }
    }

    fn pytorch_class(&self) -> Option<(&'static str, &'static str)> {
        self.map.then_some(("LayerNorm2d", LAYER_NORM_2D))
    }

    fn keys(&self) -> &'static [(&'static str, &'static str)] {
        &[("weight", "gamma"), ("bias", "beta")]
    }
}

/// torchvision's `LayerNorm2d` (`torchvision/models/convnext.py`).
const LAYER_NORM_2D: &str = "class LayerNorm2d(nn.LayerNorm):
    \"\"\"torchvision's `LayerNorm2d`: a layer norm over the channels at each position.\"\"\"

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = nn.functional.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)
";
