//! The layer table: each DSL name, the PyTorch module it stands for, its
//! argument schema (PyTorch's order, names and defaults), and the binding of
//! what the user wrote to a typed [`Config`].
//!
//! Binding checks what can be checked without knowing the input: names,
//! arity, duplicates and the type and range of each value. Rules that relate
//! several arguments or the input shape live in `check.rs`.

use crate::ast::{self, Value};
use crate::diag::{Ctxt, did_you_mean};
use proc_macro2::Span;

/// What a layer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `nn.Conv2d`.
    Conv,
    /// `nn.ConvTranspose2d`.
    ConvTranspose,
    /// `nn.MaxPool2d`.
    MaxPool,
    /// `nn.AvgPool2d`.
    AvgPool,
    /// `nn.AdaptiveAvgPool2d`.
    AdaptiveAvgPool,
    /// `nn.BatchNorm2d`.
    BatchNorm,
    /// `nn.Dropout`.
    Dropout,
    /// `nn.Upsample`.
    Upsample,
    /// `nn.Flatten()`.
    Flatten,
    /// `nn.Linear`.
    Linear,
    /// An element-wise activation or softmax.
    Activation(Activation),
}

/// The element-wise activations (and the two softmaxes over dimension 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// `nn.ReLU`.
    Relu,
    /// `nn.LeakyReLU(negative_slope)`.
    LeakyRelu,
    /// `nn.GELU` (exact, erf-based).
    Gelu,
    /// `nn.Sigmoid`.
    Sigmoid,
    /// `nn.Tanh`.
    Tanh,
    /// `nn.SiLU`.
    Silu,
    /// `nn.Softmax(dim=1)`.
    Softmax,
    /// `nn.LogSoftmax(dim=1)`.
    LogSoftmax,
}

/// The type (and range) an argument accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// An integer of at least 1.
    Positive,
    /// A positive integer or a positive `(h, w)` pair.
    Size,
    /// A non-negative integer or pair.
    Padding,
    /// [`Ty::Padding`], or `same` / `valid`.
    ConvPadding,
    /// `true` / `false`.
    Bool,
    /// A number in `[0, 1]`.
    Probability,
    /// Any number, negative too.
    Number,
    /// A number above 0.
    PositiveNumber,
    /// `nearest` / `bilinear`.
    Mode,
    /// A positive number or a pair of them.
    Scale,
}

impl Ty {
    fn expected(self) -> &'static str {
        match self {
            Ty::Positive => "a positive integer",
            Ty::Size => "a positive integer or a `(height, width)` pair",
            Ty::Padding => "an integer or a `(height, width)` pair",
            Ty::ConvPadding => "an integer, a `(height, width)` pair, `same` or `valid`",
            Ty::Bool => "`true` or `false`",
            Ty::Probability => "a probability between 0 and 1",
            Ty::Number => "a number",
            Ty::PositiveNumber => "a positive number",
            Ty::Mode => "`nearest` or `bilinear`",
            Ty::Scale => "a positive number or a `(height, width)` pair of them",
        }
    }
}

/// One argument of a layer's schema.
#[derive(Debug)]
pub struct Param {
    /// PyTorch's keyword.
    pub name: &'static str,
    /// What it accepts.
    pub ty: Ty,
    /// Whether it must be given.
    pub required: bool,
}

const fn req(name: &'static str, ty: Ty) -> Param {
    Param {
        name,
        ty,
        required: true,
    }
}

const fn opt(name: &'static str, ty: Ty) -> Param {
    Param {
        name,
        ty,
        required: false,
    }
}

/// One row of the layer table.
#[derive(Debug)]
pub struct Spec {
    /// The DSL name.
    pub name: &'static str,
    /// What it is.
    pub kind: Kind,
    /// The PyTorch module, for docs and messages.
    pub pytorch: &'static str,
    /// The arguments in PyTorch's positional order.
    pub params: &'static [Param],
}

const CONV: &[Param] = &[
    req("in_channels", Ty::Positive),
    req("out_channels", Ty::Positive),
    req("kernel_size", Ty::Size),
    opt("stride", Ty::Size),
    opt("padding", Ty::ConvPadding),
    opt("dilation", Ty::Size),
    opt("groups", Ty::Positive),
    opt("bias", Ty::Bool),
];
const CONV_TRANSPOSE: &[Param] = &[
    req("in_channels", Ty::Positive),
    req("out_channels", Ty::Positive),
    req("kernel_size", Ty::Size),
    opt("stride", Ty::Size),
    opt("padding", Ty::Padding),
    opt("output_padding", Ty::Padding),
    opt("groups", Ty::Positive),
    opt("bias", Ty::Bool),
    opt("dilation", Ty::Size),
];
const MAXPOOL: &[Param] = &[
    req("kernel_size", Ty::Size),
    opt("stride", Ty::Size),
    opt("padding", Ty::Padding),
    opt("dilation", Ty::Size),
    opt("ceil_mode", Ty::Bool),
];
const AVGPOOL: &[Param] = &[
    req("kernel_size", Ty::Size),
    opt("stride", Ty::Size),
    opt("padding", Ty::Padding),
    opt("ceil_mode", Ty::Bool),
    opt("count_include_pad", Ty::Bool),
];
const NONE: &[Param] = &[];

/// Every layer the DSL knows, in the order the docs list them.
pub static TABLE: &[Spec] = &[
    Spec {
        name: "conv",
        kind: Kind::Conv,
        pytorch: "nn.Conv2d",
        params: CONV,
    },
    Spec {
        name: "conv_transpose",
        kind: Kind::ConvTranspose,
        pytorch: "nn.ConvTranspose2d",
        params: CONV_TRANSPOSE,
    },
    Spec {
        name: "maxpool",
        kind: Kind::MaxPool,
        pytorch: "nn.MaxPool2d",
        params: MAXPOOL,
    },
    Spec {
        name: "avgpool",
        kind: Kind::AvgPool,
        pytorch: "nn.AvgPool2d",
        params: AVGPOOL,
    },
    Spec {
        name: "adaptive_avgpool",
        kind: Kind::AdaptiveAvgPool,
        pytorch: "nn.AdaptiveAvgPool2d",
        params: &[req("output_size", Ty::Size)],
    },
    Spec {
        name: "batchnorm",
        kind: Kind::BatchNorm,
        pytorch: "nn.BatchNorm2d",
        params: &[
            req("num_features", Ty::Positive),
            opt("eps", Ty::PositiveNumber),
            opt("momentum", Ty::Probability),
        ],
    },
    Spec {
        name: "dropout",
        kind: Kind::Dropout,
        pytorch: "nn.Dropout",
        params: &[opt("p", Ty::Probability)],
    },
    Spec {
        name: "upsample",
        kind: Kind::Upsample,
        pytorch: "nn.Upsample",
        params: &[
            opt("size", Ty::Size),
            opt("scale_factor", Ty::Scale),
            opt("mode", Ty::Mode),
            opt("align_corners", Ty::Bool),
        ],
    },
    Spec {
        name: "flatten",
        kind: Kind::Flatten,
        pytorch: "nn.Flatten",
        params: NONE,
    },
    Spec {
        name: "linear",
        kind: Kind::Linear,
        pytorch: "nn.Linear",
        params: &[
            req("in_features", Ty::Positive),
            req("out_features", Ty::Positive),
            opt("bias", Ty::Bool),
        ],
    },
    Spec {
        name: "relu",
        kind: Kind::Activation(Activation::Relu),
        pytorch: "nn.ReLU",
        params: NONE,
    },
    Spec {
        name: "leaky_relu",
        kind: Kind::Activation(Activation::LeakyRelu),
        pytorch: "nn.LeakyReLU",
        params: &[opt("negative_slope", Ty::Number)],
    },
    Spec {
        name: "gelu",
        kind: Kind::Activation(Activation::Gelu),
        pytorch: "nn.GELU",
        params: NONE,
    },
    Spec {
        name: "sigmoid",
        kind: Kind::Activation(Activation::Sigmoid),
        pytorch: "nn.Sigmoid",
        params: NONE,
    },
    Spec {
        name: "tanh",
        kind: Kind::Activation(Activation::Tanh),
        pytorch: "nn.Tanh",
        params: NONE,
    },
    Spec {
        name: "silu",
        kind: Kind::Activation(Activation::Silu),
        pytorch: "nn.SiLU",
        params: NONE,
    },
    Spec {
        name: "softmax",
        kind: Kind::Activation(Activation::Softmax),
        pytorch: "nn.Softmax(dim=1)",
        params: NONE,
    },
    Spec {
        name: "log_softmax",
        kind: Kind::Activation(Activation::LogSoftmax),
        pytorch: "nn.LogSoftmax(dim=1)",
        params: &[],
    },
];

/// A value after its type was checked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val {
    /// A non-negative integer.
    Int(u64),
    /// A `(h, w)` pair of non-negative integers.
    Pair([u64; 2]),
    /// A boolean.
    Bool(bool),
    /// A number (also from an integer literal where a number is expected).
    Num(f64),
    /// A pair of numbers.
    NumPair([f64; 2]),
    /// `same`, `valid`, `nearest` or `bilinear`.
    Word(&'static str),
}

/// One argument as the user wrote it, checked against its schema entry.
#[derive(Debug, Clone)]
pub struct BoundArg {
    /// The schema entry's name.
    pub name: &'static str,
    /// The typed value.
    pub val: Val,
    /// The value as written, for messages and the DSL text.
    pub text: String,
    /// Whether it was written as `key = value`.
    pub keyed: bool,
    /// The value's span.
    pub span: Span,
}

/// A layer whose name and arguments passed the schema.
#[derive(Debug, Clone)]
pub struct Bound {
    /// The schema row.
    pub spec: &'static Spec,
    /// The arguments in the order written.
    pub args: Vec<BoundArg>,
}

impl Bound {
    /// The argument `name`, if written.
    pub fn get(&self, name: &str) -> Option<&BoundArg> {
        self.args.iter().find(|a| a.name == name)
    }

    /// The span of argument `name`, if written.
    pub fn span_of(&self, name: &str) -> Option<Span> {
        self.get(name).map(|a| a.span)
    }

    fn pair(&self, name: &str) -> Option<[u64; 2]> {
        match self.get(name)?.val {
            Val::Int(n) => Some([n, n]),
            Val::Pair(p) => Some(p),
            _ => None,
        }
    }

    fn int(&self, name: &str) -> Option<u64> {
        match self.get(name)?.val {
            Val::Int(n) => Some(n),
            _ => None,
        }
    }

    fn bool(&self, name: &str) -> Option<bool> {
        match self.get(name)?.val {
            Val::Bool(b) => Some(b),
            _ => None,
        }
    }

    fn num(&self, name: &str) -> Option<f64> {
        match self.get(name)?.val {
            Val::Num(n) => Some(n),
            _ => None,
        }
    }

    fn word(&self, name: &str) -> Option<&'static str> {
        match self.get(name)?.val {
            Val::Word(w) => Some(w),
            _ => None,
        }
    }

    /// The DSL text of the layer, normalised: `conv(1, 6, 5, stride = 2)`.
    pub fn render(&self) -> String {
        self.render_with(None)
    }

    /// The DSL text with argument `name` set to `value` (replaced where it was
    /// written, appended as `name = value` otherwise): the text of a help line.
    pub fn render_with(&self, replace: Option<(&str, &str)>) -> String {
        let mut parts: Vec<String> = self
            .args
            .iter()
            .map(|a| {
                let text = match replace {
                    Some((name, value)) if name == a.name => value,
                    _ => &a.text,
                };
                if a.keyed {
                    format!("{} = {text}", a.name)
                } else {
                    text.to_string()
                }
            })
            .collect();
        if let Some((name, value)) = replace
            && self.get(name).is_none()
        {
            parts.push(format!("{name} = {value}"));
        }
        if parts.is_empty() {
            self.spec.name.to_string()
        } else {
            format!("{}({})", self.spec.name, parts.join(", "))
        }
    }

    /// The typed configuration, with PyTorch's defaults filled in.
    pub fn config(&self) -> Config {
        let kernel = self.pair("kernel_size").unwrap_or([1, 1]);
        match self.spec.kind {
            Kind::Conv => Config::Conv(Conv {
                in_c: self.int("in_channels").unwrap_or(1),
                out_c: self.int("out_channels").unwrap_or(1),
                kernel,
                stride: self.pair("stride").unwrap_or([1, 1]),
                padding: match self.word("padding") {
                    Some("same") => ConvPadding::Same,
                    Some(_) => ConvPadding::Explicit([0, 0]),
                    None => ConvPadding::Explicit(self.pair("padding").unwrap_or([0, 0])),
                },
                dilation: self.pair("dilation").unwrap_or([1, 1]),
                groups: self.int("groups").unwrap_or(1),
                bias: self.bool("bias").unwrap_or(true),
            }),
            Kind::ConvTranspose => Config::ConvTranspose(ConvTranspose {
                in_c: self.int("in_channels").unwrap_or(1),
                out_c: self.int("out_channels").unwrap_or(1),
                kernel,
                stride: self.pair("stride").unwrap_or([1, 1]),
                padding: self.pair("padding").unwrap_or([0, 0]),
                output_padding: self.pair("output_padding").unwrap_or([0, 0]),
                groups: self.int("groups").unwrap_or(1),
                bias: self.bool("bias").unwrap_or(true),
                dilation: self.pair("dilation").unwrap_or([1, 1]),
            }),
            Kind::MaxPool | Kind::AvgPool => {
                let pool = Pool {
                    kernel,
                    stride: self.pair("stride").unwrap_or(kernel),
                    padding: self.pair("padding").unwrap_or([0, 0]),
                    dilation: self.pair("dilation").unwrap_or([1, 1]),
                    ceil_mode: self.bool("ceil_mode").unwrap_or(false),
                    count_include_pad: self.bool("count_include_pad").unwrap_or(true),
                };
                if self.spec.kind == Kind::MaxPool {
                    Config::MaxPool(pool)
                } else {
                    Config::AvgPool(pool)
                }
            }
            Kind::AdaptiveAvgPool => Config::AdaptiveAvgPool {
                output_size: self.pair("output_size").unwrap_or([1, 1]),
            },
            Kind::BatchNorm => Config::BatchNorm {
                channels: self.int("num_features").unwrap_or(1),
                eps: self.num("eps").unwrap_or(1e-5),
                momentum: self.num("momentum").unwrap_or(0.1),
            },
            Kind::Dropout => Config::Dropout {
                p: self.num("p").unwrap_or(0.5),
            },
            Kind::Upsample => Config::Upsample(Upsample {
                size: self.pair("size"),
                scale: match self.get("scale_factor").map(|a| a.val) {
                    Some(Val::Num(s)) => Some([s, s]),
                    Some(Val::NumPair(p)) => Some(p),
                    _ => None,
                },
                bilinear: self.word("mode") == Some("bilinear"),
                align_corners: self.bool("align_corners"),
            }),
            Kind::Flatten => Config::Flatten,
            Kind::Linear => Config::Linear {
                in_f: self.int("in_features").unwrap_or(1),
                out_f: self.int("out_features").unwrap_or(1),
                bias: self.bool("bias").unwrap_or(true),
            },
            Kind::Activation(a) => Config::Activation {
                act: a,
                slope: self.num("negative_slope").unwrap_or(0.01),
            },
        }
    }
}

/// A layer's typed configuration.
#[derive(Debug, Clone, PartialEq)]
pub enum Config {
    /// `conv`.
    Conv(Conv),
    /// `conv_transpose`.
    ConvTranspose(ConvTranspose),
    /// `maxpool`.
    MaxPool(Pool),
    /// `avgpool`.
    AvgPool(Pool),
    /// `adaptive_avgpool`.
    AdaptiveAvgPool {
        /// Output `(h, w)`.
        output_size: [u64; 2],
    },
    /// `batchnorm`.
    BatchNorm {
        /// `num_features`.
        channels: u64,
        /// `eps`.
        eps: f64,
        /// `momentum`.
        momentum: f64,
    },
    /// `dropout`.
    Dropout {
        /// Drop probability.
        p: f64,
    },
    /// `upsample`.
    Upsample(Upsample),
    /// `flatten`.
    Flatten,
    /// `linear`.
    Linear {
        /// `in_features`.
        in_f: u64,
        /// `out_features`.
        out_f: u64,
        /// `bias`.
        bias: bool,
    },
    /// An activation.
    Activation {
        /// Which one.
        act: Activation,
        /// `negative_slope` of `leaky_relu` (unused otherwise).
        slope: f64,
    },
}

/// `nn.Conv2d`'s arguments.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub struct Conv {
    pub in_c: u64,
    pub out_c: u64,
    pub kernel: [u64; 2],
    pub stride: [u64; 2],
    pub padding: ConvPadding,
    pub dilation: [u64; 2],
    pub groups: u64,
    pub bias: bool,
}

/// A convolution's `padding`: explicit per axis, or `same` (`valid` is `Explicit([0, 0])`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvPadding {
    /// Symmetric zero padding per axis.
    Explicit([u64; 2]),
    /// Output size equals input size; needs stride 1.
    Same,
}

/// `nn.ConvTranspose2d`'s arguments.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub struct ConvTranspose {
    pub in_c: u64,
    pub out_c: u64,
    pub kernel: [u64; 2],
    pub stride: [u64; 2],
    pub padding: [u64; 2],
    pub output_padding: [u64; 2],
    pub groups: u64,
    pub bias: bool,
    pub dilation: [u64; 2],
}

/// `nn.MaxPool2d` / `nn.AvgPool2d` arguments (`dilation` is 1 for average pooling,
/// `count_include_pad` is unused by max pooling).
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub struct Pool {
    pub kernel: [u64; 2],
    pub stride: [u64; 2],
    pub padding: [u64; 2],
    pub dilation: [u64; 2],
    pub ceil_mode: bool,
    pub count_include_pad: bool,
}

impl Pool {
    /// Whether the windows tile the input: kernel = stride, no padding, no
    /// dilation, floor mode. Such a pool is emitted as a reshape of each
    /// window into its own axes and a max (or mean) over them, which flex
    /// runs 2.5–3× faster than its pooling kernel (that one also computes
    /// the indices backward needs); the numbers are the same. On an
    /// autodiff device the generated code still calls burn's pooling, whose
    /// backward pass is faster than the reductions'.
    pub fn tiles(&self) -> bool {
        self.kernel == self.stride
            && self.padding == [0, 0]
            && self.dilation == [1, 1]
            && !self.ceil_mode
    }
}

/// `nn.Upsample`'s arguments.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub struct Upsample {
    pub size: Option<[u64; 2]>,
    pub scale: Option<[f64; 2]>,
    pub bilinear: bool,
    pub align_corners: Option<bool>,
}

impl Upsample {
    /// Whether the layer is emitted as the runtime's `resample` (PyTorch's
    /// formula as matrix products) instead of burn's `Interpolate2d`: every
    /// bilinear layer (burn's wgpu kernel with `align_corners = false` differs
    /// from PyTorch), and nearest with a non-integer `scale_factor` (PyTorch
    /// maps coordinates with `1 / scale_factor`, burn with `in / out`).
    pub fn resampled(&self) -> bool {
        let fractional = self
            .scale
            .is_some_and(|s| s.iter().any(|f| f.fract() != 0.0));
        self.bilinear || fractional
    }
}

/// Looks up a layer name.
pub fn spec(name: &str) -> Option<&'static Spec> {
    TABLE.iter().find(|s| s.name == name)
}

/// Binds a parsed layer to its schema. Reports every independent mistake in
/// the call (unknown name, unknown or duplicate argument, bad value, missing
/// argument) and returns `None` if there was any.
pub fn bind(layer: &ast::Layer, cx: &mut Ctxt) -> Option<Bound> {
    let name = layer.name.to_string();
    let Some(spec) = spec(&name) else {
        let names: Vec<&str> = TABLE.iter().map(|s| s.name).collect();
        let mut msg = format!("unknown layer `{name}`");
        match did_you_mean(&name, &names) {
            Some(best) => msg.push_str(&format!("\n= help: did you mean `{best}`?")),
            None => msg.push_str(&format!("\n= note: the layers are {}", names.join(", "))),
        }
        cx.error(layer.name.span(), msg);
        return None;
    };
    let errors_before = cx.error_count();
    let mut args: Vec<BoundArg> = Vec::new();
    if let Some(list) = &layer.args {
        if spec.params.is_empty() {
            cx.error(
                list.paren.span.join(),
                format!("`{name}` takes no arguments\n= help: write `{name}`"),
            );
            return None;
        }
        let mut positional = 0;
        let mut seen_keyword = false;
        for arg in &list.list {
            let param = match &arg.key {
                None if seen_keyword => {
                    cx.error(
                        arg.value.span(),
                        "positional arguments must come before `key = value` arguments",
                    );
                    continue;
                }
                None => {
                    positional += 1;
                    match spec.params.get(positional - 1) {
                        Some(p) => p,
                        None => {
                            cx.error(
                                arg.value.span(),
                                format!(
                                    "`{name}` takes at most {} arguments, found {}\n= help: the arguments are {}",
                                    spec.params.len(),
                                    list.list.len(),
                                    signature(spec)
                                ),
                            );
                            continue;
                        }
                    }
                }
                Some(key) => {
                    seen_keyword = true;
                    let key_name = key.to_string();
                    match spec.params.iter().find(|p| p.name == key_name) {
                        Some(p) => p,
                        None => {
                            let names: Vec<&str> = spec.params.iter().map(|p| p.name).collect();
                            let mut msg = format!("`{name}` has no argument `{key_name}`");
                            match did_you_mean(&key_name, &names) {
                                Some(best) => {
                                    msg.push_str(&format!("\n= help: did you mean `{best}`?"))
                                }
                                None => msg.push_str(&format!(
                                    "\n= note: the arguments are {}",
                                    signature(spec)
                                )),
                            }
                            cx.error(key.span(), msg);
                            continue;
                        }
                    }
                }
            };
            if args.iter().any(|a| a.name == param.name) {
                let at = arg
                    .key
                    .as_ref()
                    .map_or_else(|| arg.value.span(), |k| k.span());
                cx.error(at, format!("`{}` is given twice", param.name));
                continue;
            }
            match convert(&arg.value, param.ty) {
                Ok(val) => args.push(BoundArg {
                    name: param.name,
                    val,
                    text: arg.value.render(),
                    keyed: arg.key.is_some(),
                    span: arg.value.span(),
                }),
                Err(Mismatch { span, found, note }) => cx.error(
                    span,
                    format!(
                        "`{}` expects {}, found `{found}`{note}",
                        param.name,
                        param.ty.expected()
                    ),
                ),
            }
        }
    }
    if cx.error_count() > errors_before {
        return None;
    }
    let missing: Vec<&str> = spec
        .params
        .iter()
        .filter(|p| p.required && !args.iter().any(|a| a.name == p.name))
        .map(|p| p.name)
        .collect();
    if !missing.is_empty() {
        let list = missing
            .iter()
            .map(|m| format!("`{m}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let (noun, them) = if missing.len() == 1 {
            ("argument", "it")
        } else {
            ("arguments", "them")
        };
        cx.error_spanned(
            layer,
            format!(
                "`{name}` is missing its {list} {noun}\n= help: `{name}` takes {}; give {them} in this order",
                signature(spec)
            ),
        );
        return None;
    }
    Some(Bound { spec, args })
}

/// `(in_channels, out_channels, kernel_size, stride = 1, ...)`-style text.
pub fn signature(spec: &Spec) -> String {
    let parts: Vec<String> = spec
        .params
        .iter()
        .map(|p| {
            if p.required {
                p.name.to_string()
            } else {
                format!("{}?", p.name)
            }
        })
        .collect();
    format!("`{}({})`", spec.name, parts.join(", "))
}

/// Why a value does not fit its type: the culprit (a whole value, or one
/// half of a pair) and an optional `= note:` line.
struct Mismatch {
    span: Span,
    found: String,
    note: &'static str,
}

impl Mismatch {
    fn at(value: &Value, note: &'static str) -> Mismatch {
        Mismatch {
            span: value.span(),
            found: value.render(),
            note,
        }
    }
}

const NOTE_POSITIVE: &str = "\n= note: sizes, strides, dilations, channels and groups start at 1";
const NOTE_NEGATIVE: &str = "\n= note: negative values are not allowed here";

/// Checks a value against a type.
fn convert(value: &Value, ty: Ty) -> Result<Val, Mismatch> {
    let plain = |note| Err(Mismatch::at(value, note));
    match (ty, value) {
        (Ty::Positive | Ty::Size, Value::Int(_)) => match int(value)? {
            0 => plain(NOTE_POSITIVE),
            n => Ok(Val::Int(n)),
        },
        (Ty::Padding | Ty::ConvPadding, Value::Int(_)) => Ok(Val::Int(int(value)?)),
        (Ty::Size | Ty::Padding | Ty::ConvPadding, Value::Pair(_, a, b)) => {
            let inner = if ty == Ty::Size {
                Ty::Positive
            } else {
                Ty::Padding
            };
            match (convert(a, inner)?, convert(b, inner)?) {
                (Val::Int(a), Val::Int(b)) => Ok(Val::Pair([a, b])),
                _ => plain(""),
            }
        }
        (Ty::ConvPadding, Value::Word(w)) if w == "same" => Ok(Val::Word("same")),
        (Ty::ConvPadding, Value::Word(w)) if w == "valid" => Ok(Val::Word("valid")),
        (Ty::Mode, Value::Word(w)) if w == "nearest" => Ok(Val::Word("nearest")),
        (Ty::Mode, Value::Word(w)) if w == "bilinear" => Ok(Val::Word("bilinear")),
        (Ty::Bool, Value::Bool(b)) => Ok(Val::Bool(b.value)),
        (Ty::Number, _) => Ok(Val::Num(number(value)?)),
        (Ty::Probability, _) => match number(value)? {
            p if (0.0..=1.0).contains(&p) => Ok(Val::Num(p)),
            _ => plain("\n= note: PyTorch requires 0 <= p <= 1"),
        },
        (Ty::Scale, Value::Pair(_, a, b)) => match (convert(a, Ty::Scale)?, convert(b, Ty::Scale)?)
        {
            (Val::Num(a), Val::Num(b)) => Ok(Val::NumPair([a, b])),
            _ => plain(""),
        },
        (Ty::PositiveNumber | Ty::Scale, _) => match number(value)? {
            x if x > 0.0 => Ok(Val::Num(x)),
            _ => plain(""),
        },
        (_, Value::Neg(..)) => plain(NOTE_NEGATIVE),
        _ => plain(""),
    }
}

fn int(value: &Value) -> Result<u64, Mismatch> {
    match value {
        Value::Int(lit) if lit.base10_digits().starts_with('-') => {
            Err(Mismatch::at(value, NOTE_NEGATIVE))
        }
        Value::Int(lit) => lit
            .base10_parse::<u64>()
            .map_err(|_| Mismatch::at(value, "\n= note: the value does not fit in 64 bits")),
        _ => Err(Mismatch::at(value, "")),
    }
}

fn number(value: &Value) -> Result<f64, Mismatch> {
    let bad = |note| Mismatch::at(value, note);
    let x = match value {
        Value::Int(lit) => lit.base10_parse::<f64>().map_err(|_| bad(""))?,
        Value::Float(lit) => lit.base10_parse::<f64>().map_err(|_| bad(""))?,
        Value::Neg(_, inner) if !matches!(**inner, Value::Neg(..)) => -number(inner)?,
        _ => return Err(bad("")),
    };
    if x.is_finite() {
        Ok(x)
    } else {
        Err(bad("\n= note: the value is not a finite number"))
    }
}
