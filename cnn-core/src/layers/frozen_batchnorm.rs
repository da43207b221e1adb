//! `frozen_batchnorm`: torchvision's `FrozenBatchNorm2d` (the norm layer of
//! its detection backbones): a batchnorm whose four tensors are buffers, so
//! it always normalizes with its running statistics and learns nothing.

use super::{Bound, Emit, Fast, Io, Layer, Plan, Spec, Twin, Ty, Val, float_lit, lit, opt, req};
use crate::onnx::{Attr, Lower, refs};
use crate::shape::Op;
use quote::quote;

/// The kind.
pub static SPEC: Spec = Spec {
    name: "frozen_batchnorm",
    pytorch: "FrozenBatchNorm2d",
    params: &[
        req("num_features", Ty::Positive),
        opt("eps", Ty::PositiveNumber, Val::Num(1e-5)),
    ],
    build: |a| {
        Some(Box::new(FrozenBatchNorm {
            channels: a.int("num_features")?,
            eps: a.num("eps")?,
        }))
    },
};

/// `FrozenBatchNorm2d`'s arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct FrozenBatchNorm {
    /// `num_features`.
    pub channels: u64,
    /// `eps`.
    pub eps: f64,
}

impl Layer for FrozenBatchNorm {
    /// 0 trainable parameters: PyTorch counts none, its tensors are buffers.
    fn op(&self) -> Op {
        Op::Norm {
            arg: "num_features",
            channels: self.channels,
            affine: false,
            per_map: false,
        }
    }

    /// burn's `BatchNorm` holds the four tensors (so loading and saving
    /// are batchnorm's); the runtime's `frozen_batchnorm` normalizes with
    /// the running statistics on every device and passes no gradient to
    /// the scale and shift.
    fn emit(&self, io: &Io) -> Emit {
        let (c, eps) = (lit(self.channels), float_lit(self.eps));
        let krate = io.krate;
        Emit {
            field: Some(crate::model::Field {
                ty: quote!(burn::nn::BatchNorm),
                init: quote!(burn::nn::BatchNormConfig::new(#c).with_epsilon(#eps).init(device)),
            }),
            plan: Plan::WithModule(quote!(#krate::__private::frozen_batchnorm)),
        }
    }

    fn fast(&self) -> Fast {
        Fast::Batchnorm
    }

    fn onnx(&self, o: &mut Lower) {
        let inputs = ["weight", "bias", "running_mean", "running_var"].map(|k| o.param(k));
        o.apply("BatchNormalization", &refs(&inputs), vec![("epsilon", Attr::Float(self.eps))]);
    }

    fn pytorch(&self, b: &Bound) -> String {
        Twin::new(b)
            .positional(&["num_features"])
            .changed(&["eps"])
            .finish()
    }

    fn pytorch_class(&self) -> Option<(&'static str, &'static str)> {
        Some(("FrozenBatchNorm2d", FROZEN_BATCH_NORM_2D))
    }

    fn keys(&self) -> &'static [(&'static str, &'static str)] {
        &[("weight", "gamma"), ("bias", "beta")]
    }
}

/// torchvision's `FrozenBatchNorm2d` (`torchvision/ops/misc.py`), whose
/// state_dict has no `num_batches_tracked`; its per-channel shape follows
/// the input's rank, so that it serves 1-D and 3-D maps too (on 2-D ones it
/// is torchvision's `(1, -1, 1, 1)`).
const FROZEN_BATCH_NORM_2D: &str = "class FrozenBatchNorm2d(nn.Module):
    \"\"\"torchvision's `FrozenBatchNorm2d`: batchnorm with fixed statistics and affine parameters.\"\"\"

    def __init__(self, num_features, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.register_buffer(\"weight\", torch.ones(num_features))
        self.register_buffer(\"bias\", torch.zeros(num_features))
        self.register_buffer(\"running_mean\", torch.zeros(num_features))
        self.register_buffer(\"running_var\", torch.ones(num_features))

    def forward(self, x):
        scale = self.weight * (self.running_var + self.eps).rsqrt()
        bias = self.bias - self.running_mean * scale
        shape = (1, -1) + (1,) * (x.dim() - 2)
        return x * scale.reshape(shape) + bias.reshape(shape)
";
