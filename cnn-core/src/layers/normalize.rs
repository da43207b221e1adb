//! `normalize`: `(x − mean) / std` per channel, the preprocessing that
//! travels with the model into its weights, its PyTorch twin and its ONNX
//! graph, so that every one of them takes pixels on the 0–1 scale.
//! `normalize(mean = (…), std = (…))` writes the statistics into the code
//! (ImageNet's, say); `normalize(3)` keeps them as state saved with the
//! weights (buffers `mean` and `std`, 0 trainable parameters), set at run
//! time from `channel_stats()` with `Normalize::with_stats`.

use super::{Bound, Emit, Io, Layer, Plan, Spec, Twin, Ty, Val, absent, float_lit, lit};
use crate::model::Field;
use crate::onnx::Lower;
use crate::shape::Op;
use crate::walk::Walk;
use quote::quote;

/// The kind.
pub static SPEC: Spec = Spec {
    name: "normalize",
    pytorch: "Normalize",
    params: &[
        absent("num_channels", Ty::Positive),
        absent("mean", Ty::PerChannel),
        absent("std", Ty::PositivePerChannel),
    ],
    build: |a| {
        let channels = match a.val("num_channels")? {
            Some(Val::Int(n)) => Some(n),
            _ => None,
        };
        Some(Box::new(Normalize {
            channels,
            mean: a.numbers("mean")?,
            std: a.numbers("std")?,
        }))
    },
};

/// The channels, and the statistics when written.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalize {
    /// `num_channels`, if written.
    pub channels: Option<u64>,
    /// `mean`, if written.
    pub mean: Option<&'static [f64]>,
    /// `std`, if written.
    pub std: Option<&'static [f64]>,
}

impl Normalize {
    /// The statistics written in the code, or `None` for state.
    fn written(&self) -> Option<(&'static [f64], &'static [f64])> {
        self.mean.zip(self.std)
    }

    fn count(&self) -> u64 {
        self.channels
            .or(self.mean.map(|m| m.len() as u64))
            .unwrap_or(0)
    }
}

impl Layer for Normalize {
    /// Rule: either the channels (statistics set at run time) or `mean` and
    /// `std`, one number per channel each.
    fn check_arguments(&self, b: &Bound, walk: &mut Walk) {
        let form = "\n= help: write `normalize(3)` for statistics set at run time, or `normalize(mean = (0.485, 0.456, 0.406), std = (0.229, 0.224, 0.225))`";
        match (self.mean, self.std) {
            (None, None) if self.channels.is_none() => walk.error(
                b,
                format!("`normalize` needs its channels, or `mean` and `std`{form}"),
            ),
            (Some(_), None) | (None, Some(_)) => {
                let (given, missing) = if self.mean.is_some() {
                    ("mean", "std")
                } else {
                    ("std", "mean")
                };
                walk.error_at(
                    b.span_of(given),
                    format!("`normalize` with `{given}` needs `{missing}` too{form}"),
                );
            }
            (Some(mean), Some(std)) if mean.len() != std.len() => walk.error_at(
                b.span_of("std"),
                format!(
                    "`std` gives {} numbers and `mean` {}: one per channel each",
                    std.len(),
                    mean.len()
                ),
            ),
            (Some(mean), Some(_)) if self.channels.is_some_and(|c| c != mean.len() as u64) => walk
                .error_at(
                    b.span_of("num_channels"),
                    format!(
                        "`normalize({})` and its {} numbers per statistic disagree\n= help: write the statistics alone: the channels are their count",
                        self.count(),
                        mean.len()
                    ),
                ),
            _ => {}
        }
    }

    fn in_notes(&self) -> bool {
        false
    }

    /// 0 trainable parameters: the statistics are constants or buffers.
    fn op(&self) -> Op {
        Op::PerChannel {
            arg: if self.written().is_some() { "mean" } else { "num_channels" },
            channels: self.count(),
            params: 0,
            flat: false,
        }
    }

    fn emit(&self, io: &Io) -> Emit {
        let krate = io.krate;
        match self.written() {
            Some((mean, std)) => {
                let (mean, std) = (mean.iter().map(|&x| float_lit(x)), std.iter().map(|&x| float_lit(x)));
                Emit::function(quote!(#krate::__private::normalize(x, &[#(#mean),*], &[#(#std),*])))
            }
            None => {
                let c = lit(self.count());
                Emit {
                    field: Some(Field {
                        ty: quote!(#krate::Normalize),
                        init: quote!(#krate::Normalize::new(#c, device)),
                    }),
                    plan: Plan::WithModule(quote!(#krate::__private::normalize_with)),
                }
            }
        }
    }

    fn onnx(&self, o: &mut Lower) {
        let c = self.count() as i64;
        let (mean, std) = match self.written() {
            Some((mean, std)) => (
                o.floats(&[c, 1, 1], mean.to_vec()),
                o.floats(&[c, 1, 1], std.to_vec()),
            ),
            None => {
                let (mean, std) = (o.param("mean"), o.param("std"));
                (o.per_channel(&mean), o.per_channel(&std))
            }
        };
        o.apply("Sub", &[&mean], vec![]);
        o.apply("Div", &[&std], vec![]);
    }

    fn pytorch(&self, b: &Bound) -> String {
        Twin::new(b)
            .positional(&["num_channels"])
            .keyword(&["mean", "std"])
            .finish()
    }

    fn pytorch_class(&self) -> Option<(&'static str, &'static str)> {
        Some(("Normalize", NORMALIZE))
    }
}

/// The twin's class: buffers, saved with the weights only when the
/// statistics are set at run time (`normalize(3)`).
const NORMALIZE: &str = "class Normalize(nn.Module):
    \"\"\"`(x - mean) / std` per channel: the preprocessing that travels with the model.\"\"\"

    def __init__(self, num_channels=None, mean=None, std=None):
        super().__init__()
        persistent = mean is None
        if mean is None:
            mean, std = [0.0] * num_channels, [1.0] * num_channels
        self.register_buffer(\"mean\", torch.tensor(mean, dtype=torch.float32), persistent=persistent)
        self.register_buffer(\"std\", torch.tensor(std, dtype=torch.float32), persistent=persistent)

    def forward(self, x):
        shape = (1, -1) + (1,) * (x.dim() - 2)
        return (x - self.mean.reshape(shape)) / self.std.reshape(shape)
";
