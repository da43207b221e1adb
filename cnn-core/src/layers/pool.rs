//! `maxpool` and `avgpool`: `nn.MaxPool2d` and `nn.AvgPool2d`, one shape rule.

use crate::onnx::{Attr, Lower, ints};
use crate::shape::Op;
use super::{Args, Bound, Emit, Fast, Io, Layer, Spec, Twin, Ty, Val, absent, opt, pair, req};
use crate::walk::Walk;
use super::Plan;
use crate::model::{Shape, Tiled};
use crate::rules::{self, Slide};
use crate::shape;
use quote::quote;

/// `maxpool`.
pub static MAXPOOL: Spec = Spec {
    name: "maxpool",
    pytorch: "nn.MaxPool2d",
    params: &[
        req("kernel_size", Ty::Size),
        // PyTorch's default stride is the kernel size: see `Pool::new`.
        absent("stride", Ty::Size),
        opt("padding", Ty::Padding, Val::Int(0)),
        opt("dilation", Ty::Size, Val::Int(1)),
        opt("ceil_mode", Ty::Bool, Val::Bool(false)),
    ],
    build: |a| Some(Box::new(Pool::new(a, true)?)),
};

/// `avgpool`.
pub static AVGPOOL: Spec = Spec {
    name: "avgpool",
    pytorch: "nn.AvgPool2d",
    params: &[
        req("kernel_size", Ty::Size),
        absent("stride", Ty::Size),
        opt("padding", Ty::Padding, Val::Int(0)),
        opt("ceil_mode", Ty::Bool, Val::Bool(false)),
        opt("count_include_pad", Ty::Bool, Val::Bool(true)),
    ],
    build: |a| Some(Box::new(Pool::new(a, false)?)),
};

/// `nn.MaxPool2d` / `nn.AvgPool2d` arguments (`dilation` is 1 for average
/// pooling, `count_include_pad` is unused by max pooling).
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub struct Pool {
    pub max: bool,
    pub kernel: [u64; 2],
    pub stride: [u64; 2],
    pub padding: [u64; 2],
    pub dilation: [u64; 2],
    pub ceil_mode: bool,
    pub count_include_pad: bool,
}

impl Pool {
    fn new(a: Args, max: bool) -> Option<Pool> {
        let kernel = a.pair("kernel_size")?;
        Some(Pool {
            max,
            kernel,
            stride: a.opt_pair("stride")?.unwrap_or(kernel),
            padding: a.pair("padding")?,
            dilation: if max { a.pair("dilation")? } else { [1, 1] },
            ceil_mode: a.bool("ceil_mode")?,
            count_include_pad: max || a.bool("count_include_pad")?,
        })
    }

    /// Whether the windows tile the input: kernel = stride, no padding, no
    /// dilation, floor mode (see [`Tiled`]).
    pub fn tiles(&self) -> bool {
        self.kernel == self.stride
            && self.padding == [0, 0]
            && self.dilation == [1, 1]
            && !self.ceil_mode
    }
}

impl Pool {
    /// `dilation·(kernel − 1) + 1` per axis, `[H, W]`.
    fn effective_kernels(&self) -> [u64; 2] {
        let [_, h, w] = shape::effective_kernels(
            shape::hw_axes(self.kernel, 1),
            shape::hw_axes(self.dilation, 1),
        );
        [h, w]
    }
}

impl Layer for Pool {
    /// Rule: pooling pads each side by at most half the kernel (PyTorch: "pad
    /// should be smaller than or equal to half of kernel size").
    fn check_arguments(&self, b: &Bound, walk: &mut Walk) {
        for axis in 0..2 {
            let limit = self.kernel[axis] / 2;
            if self.padding[axis] > limit {
                walk.error_with_edit(
                    b,
                    Some(b.span_of("padding")),
                    &format!(
                        "`{}` pads by {}, more than half its kernel ({} / 2 = {limit})\n= note: PyTorch pads a pooling window by at most kernel_size / 2",
                        b.spec.name, self.padding[axis], self.kernel[axis],
                    ),
                    "padding",
                    &limit.to_string(),
                    "",
                );
                return;
            }
        }
    }

    fn op(&self) -> Op {
        Op::Pool {
            max: self.max,
            kernel: shape::hw_axes(self.kernel, 1),
            stride: shape::hw_axes(self.stride, 1),
            padding: shape::hw_axes(self.padding, 0),
            dilation: shape::hw_axes(self.dilation, 1),
            ceil_mode: self.ceil_mode,
        }
    }

    /// PyTorch's ceil mode drops a window that would start in the right
    /// padding, which ONNX runtimes do not all do: the output size is known,
    /// so the right and bottom edges are padded by what the last window
    /// overhangs and the pool runs in floor mode. An average that counts
    /// padding then divides the overhanging windows by too much: a constant
    /// map rescales them to PyTorch's divisor.
    fn fast(&self) -> Fast {
        Fast::Pool(crate::fast::PoolSpec {
            max: self.max,
            kernel: self.kernel,
            stride: self.stride,
            padding: self.padding,
            dilation: self.dilation,
            ceil_mode: self.ceil_mode,
            count_include_pad: self.count_include_pad,
        })
    }

    fn onnx(&self, o: &mut Lower) {
        let ([_, ih, iw], [_, oh, ow]) = (o.input_map(), o.output_map());
        let eff = self.effective_kernels();
        let over = [(ih, oh), (iw, ow)].into_iter().enumerate().map(|(a, (i, out))| {
            ((out - 1) * self.stride[a] + eff[a]).saturating_sub(i + 2 * self.padding[a])
        });
        let over: Vec<u64> = over.collect();
        let [ph, pw] = self.padding;
        let mut attributes = vec![
            ("kernel_shape", ints(self.kernel)),
            ("strides", ints(self.stride)),
            ("pads", ints([ph, pw, ph + over[0], pw + over[1]])),
        ];
        if self.max {
            attributes.push(("dilations", ints(self.dilation)));
            o.apply("MaxPool", &[], attributes);
            return;
        }
        attributes.push(("count_include_pad", Attr::Int(self.count_include_pad as i64)));
        o.apply("AveragePool", &[], attributes);
        if self.count_include_pad && over != [0, 0] {
            // PyTorch's divisor: the window clipped to the padded input.
            let counts = |axis: usize, size: u64, out: u64| -> Vec<u64> {
                (0..out)
                    .map(|i| {
                        let start = i * self.stride[axis];
                        let end = (start + self.kernel[axis]).min(size + 2 * self.padding[axis]);
                        end - start
                    })
                    .collect()
            };
            let (rows, cols) = (counts(0, ih, oh), counts(1, iw, ow));
            let window = (self.kernel[0] * self.kernel[1]) as f64;
            let scale = rows
                .iter()
                .flat_map(|r| cols.iter().map(move |c| window / (r * c) as f64))
                .collect();
            let scale = o.floats(&[1, 1, oh as i64, ow as i64], scale);
            o.apply("Mul", &[&scale], vec![]);
        }
    }

    fn warn(&self, walk: &mut Walk, b: &Bound, input: Shape, output: Shape) {
        let (Some(size), Some(out)) = (input.spatial(), output.spatial()) else {
            return;
        };
        let slide = Slide {
            input: size.last_two(),
            eff: self.effective_kernels(),
            stride: self.stride,
            pad_before: self.padding,
            out: out.last_two(),
        };
        if !self.ceil_mode {
            rules::warn_unread(walk, b, slide, true);
        }
        if self.max {
            rules::warn_padding_only(walk, b, self.kernel, slide, self.dilation);
        }
    }

    fn emit(&self, _io: &Io) -> Emit {
        if self.tiles() {
            return Emit {
                field: None,
                plan: Plan::TiledPool(Tiled {
                    max: self.max,
                    kernel: self.kernel,
                }),
            };
        }
        let k = pair(self.kernel);
        let mut e = if self.max {
            quote!(burn::nn::pool::MaxPool2dConfig::new(#k))
        } else {
            quote!(burn::nn::pool::AvgPool2dConfig::new(#k))
        };
        if self.stride != self.kernel {
            let s = pair(self.stride);
            e.extend(quote!(.with_strides(#s)));
        }
        if self.padding != [0, 0] {
            let [ph, pw] = self.padding.map(super::lit);
            e.extend(quote!(.with_padding(burn::nn::PaddingConfig2d::Explicit(#ph, #pw, #ph, #pw))));
        }
        if self.max && self.dilation != [1, 1] {
            let d = pair(self.dilation);
            e.extend(quote!(.with_dilation(#d)));
        }
        if self.ceil_mode {
            e.extend(quote!(.with_ceil_mode(true)));
        }
        if !self.count_include_pad {
            e.extend(quote!(.with_count_include_pad(false)));
        }
        let ty = if self.max {
            quote!(burn::nn::pool::MaxPool2d)
        } else {
            quote!(burn::nn::pool::AvgPool2d)
        };
        Emit::module(ty, quote!(#e.init()))
    }

    fn pytorch(&self, b: &Bound) -> String {
        let twin = Twin::new(b).keyword(&["kernel_size"]);
        // A stride equal to the kernel is PyTorch's default, however written.
        let twin = if self.stride == self.kernel {
            twin
        } else {
            twin.keyword(&["stride"])
        };
        twin.changed(&["padding", "dilation", "ceil_mode", "count_include_pad"])
            .finish()
    }
}
