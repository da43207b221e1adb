//! Model → the equivalent PyTorch `nn.Sequential` source (the generated
//! `PYTORCH` constant): users cross-check shapes or export weights from
//! Python with it, and its layer positions are the state_dict keys that
//! `load_pytorch` reads.

use crate::layers::{Activation, Config, ConvPadding};
use crate::model::Network;

/// `nn.Sequential(\n    nn.Conv2d(1, 6, kernel_size=5),\n    ...\n)`.
pub fn sequential(net: &Network) -> String {
    let mut out = String::from("nn.Sequential(\n");
    for layer in &net.layers {
        out.push_str("    ");
        out.push_str(&module(&layer.config));
        out.push_str(",\n");
    }
    out.push(')');
    out
}

/// An int for a square pair, a tuple otherwise.
fn size(p: [u64; 2]) -> String {
    if p[0] == p[1] {
        p[0].to_string()
    } else {
        format!("({}, {})", p[0], p[1])
    }
}

/// A Python float literal.
fn float(x: f64) -> String {
    let text = format!("{x:?}");
    if text.contains(['.', 'e', 'E']) || text.contains("inf") || text.contains("NaN") {
        text
    } else {
        format!("{text}.0")
    }
}

fn module(config: &Config) -> String {
    let mut args: Vec<String> = Vec::new();
    let mut kw = |cond: bool, text: String| {
        if cond {
            args.push(text);
        }
    };
    let name = match config {
        Config::Conv(c) => {
            kw(
                true,
                format!("{}, {}, kernel_size={}", c.in_c, c.out_c, size(c.kernel)),
            );
            kw(c.stride != [1, 1], format!("stride={}", size(c.stride)));
            match c.padding {
                ConvPadding::Same => kw(true, "padding='same'".into()),
                ConvPadding::Explicit(p) => kw(p != [0, 0], format!("padding={}", size(p))),
            }
            kw(
                c.dilation != [1, 1],
                format!("dilation={}", size(c.dilation)),
            );
            kw(c.groups != 1, format!("groups={}", c.groups));
            kw(!c.bias, "bias=False".into());
            "Conv2d"
        }
        Config::ConvTranspose(c) => {
            kw(
                true,
                format!("{}, {}, kernel_size={}", c.in_c, c.out_c, size(c.kernel)),
            );
            kw(c.stride != [1, 1], format!("stride={}", size(c.stride)));
            kw(c.padding != [0, 0], format!("padding={}", size(c.padding)));
            kw(
                c.output_padding != [0, 0],
                format!("output_padding={}", size(c.output_padding)),
            );
            kw(c.groups != 1, format!("groups={}", c.groups));
            kw(!c.bias, "bias=False".into());
            kw(
                c.dilation != [1, 1],
                format!("dilation={}", size(c.dilation)),
            );
            "ConvTranspose2d"
        }
        Config::MaxPool(p) | Config::AvgPool(p) => {
            let max = matches!(config, Config::MaxPool(_));
            kw(true, format!("kernel_size={}", size(p.kernel)));
            kw(p.stride != p.kernel, format!("stride={}", size(p.stride)));
            kw(p.padding != [0, 0], format!("padding={}", size(p.padding)));
            kw(
                max && p.dilation != [1, 1],
                format!("dilation={}", size(p.dilation)),
            );
            kw(p.ceil_mode, "ceil_mode=True".into());
            kw(
                !max && !p.count_include_pad,
                "count_include_pad=False".into(),
            );
            if max { "MaxPool2d" } else { "AvgPool2d" }
        }
        Config::AdaptiveAvgPool { output_size } => {
            kw(true, size(*output_size));
            "AdaptiveAvgPool2d"
        }
        Config::BatchNorm {
            channels,
            eps,
            momentum,
        } => {
            kw(true, channels.to_string());
            kw(*eps != 1e-5, format!("eps={}", float(*eps)));
            kw(*momentum != 0.1, format!("momentum={}", float(*momentum)));
            "BatchNorm2d"
        }
        Config::Dropout { p } => {
            kw(true, format!("p={}", float(*p)));
            "Dropout"
        }
        Config::Upsample(u) => {
            match (u.size, u.scale) {
                (Some(s), _) => kw(true, format!("size={}", size_tuple(s))),
                (None, Some([a, b])) if a == b => kw(true, format!("scale_factor={}", float(a))),
                (None, Some([a, b])) => {
                    kw(true, format!("scale_factor=({}, {})", float(a), float(b)))
                }
                (None, None) => {}
            }
            kw(
                true,
                format!("mode='{}'", if u.bilinear { "bilinear" } else { "nearest" }),
            );
            if let Some(align) = u.align_corners {
                kw(
                    true,
                    format!("align_corners={}", if align { "True" } else { "False" }),
                );
            }
            "Upsample"
        }
        Config::Flatten => "Flatten",
        Config::Linear { in_f, out_f, bias } => {
            kw(true, format!("{in_f}, {out_f}"));
            kw(!bias, "bias=False".into());
            "Linear"
        }
        Config::Activation { act, slope } => match act {
            Activation::Relu => "ReLU",
            Activation::LeakyRelu => {
                kw(true, format!("negative_slope={}", float(*slope)));
                "LeakyReLU"
            }
            Activation::Gelu => "GELU",
            Activation::Sigmoid => "Sigmoid",
            Activation::Tanh => "Tanh",
            Activation::Silu => "SiLU",
            Activation::Softmax => {
                kw(true, "dim=1".into());
                "Softmax"
            }
            Activation::LogSoftmax => {
                kw(true, "dim=1".into());
                "LogSoftmax"
            }
        },
    };
    format!("nn.{name}({})", args.join(", "))
}

/// `nn.Upsample`'s `size` is always a tuple here, as PyTorch prints it.
fn size_tuple(p: [u64; 2]) -> String {
    format!("({}, {})", p[0], p[1])
}
