//! `maxpool` and `avgpool`: `nn.MaxPool2d` and `nn.AvgPool2d`, one shape rule.

use crate::onnx::{Attr, Lower, ints};
use crate::shape::Op;
use super::{Args, Bound, Emit, Fast, Io, Layer, Spec, Twin, Ty, Val, absent, opt, pair, per_axis, req};
use crate::shape::Axes;
use proc_macro2::TokenStream;
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
    pub kernel: Axes,
    pub stride: Axes,
    pub padding: Axes,
    pub dilation: Axes,
    pub ceil_mode: bool,
    pub count_include_pad: bool,
    /// The map's spatial rank.
    pub rank: usize,
}

impl Pool {
    fn new(a: Args, max: bool) -> Option<Pool> {
        let kernel = a.axes("kernel_size", 1)?;
        Some(Pool {
            max,
            kernel,
            stride: a.opt_axes("stride", 1)?.unwrap_or(kernel),
            padding: a.axes("padding", 0)?,
            dilation: if max { a.axes("dilation", 1)? } else { [1; 3] },
            ceil_mode: a.bool("ceil_mode")?,
            count_include_pad: max || a.bool("count_include_pad")?,
            rank: a.rank(),
        })
    }

    /// Whether the windows of a 2-D pool tile the input: kernel = stride,
    /// no padding, no dilation, floor mode (see [`Tiled`]).
    pub fn tiles(&self) -> bool {
        self.rank == 2
            && self.kernel == self.stride
            && self.padding == [0; 3]
            && self.dilation == [1; 3]
            && !self.ceil_mode
    }

    /// `dilation·(kernel − 1) + 1` per axis, `[H, W]`.
    fn effective_kernels(&self) -> [u64; 2] {
        let [_, h, w] = shape::effective_kernels(self.kernel, self.dilation);
        [h, w]
    }

    /// The last two axes of per-axis numbers (the whole of a 2-D pool's).
    fn hw(values: Axes) -> [u64; 2] {
        [values[1], values[2]]
    }

    /// `MaxPool1d`/`AvgPool1d` for a 1-D map, PyTorch's `max_pool3d`/
    /// `avg_pool3d` written on burn's ops for a 3-D one (burn has neither).
    fn emit_other_rank(&self, krate: &TokenStream) -> Emit {
        if self.rank == 3 {
            let [k, s, p, d] = [self.kernel, self.stride, self.padding, self.dilation].map(|v| per_axis(v, 3));
            let (max, ceil, include) = (self.max, self.ceil_mode, self.count_include_pad);
            return Emit::function(quote!(#krate::__private::pool3d(x, #krate::__private::Pool3d {
                max: #max, kernel: #k, stride: #s, padding: #p, dilation: #d, ceil_mode: #ceil, count_include_pad: #include,
            })));
        }
        let [k, s, p, d] = [self.kernel, self.stride, self.padding, self.dilation].map(|v| per_axis(v, 1));
        let mut e = if self.max {
            quote!(burn::nn::pool::MaxPool1dConfig::new(#k))
        } else {
            quote!(burn::nn::pool::AvgPool1dConfig::new(#k))
        };
        if self.stride != self.kernel {
            e.extend(quote!(.with_stride(#s)));
        }
        if self.padding != [0; 3] {
            e.extend(quote!(.with_padding(burn::nn::PaddingConfig1d::Explicit(#p, #p))));
        }
        if self.max && self.dilation != [1; 3] {
            e.extend(quote!(.with_dilation(#d)));
        }
        if self.ceil_mode {
            e.extend(quote!(.with_ceil_mode(true)));
        }
        if !self.count_include_pad {
            e.extend(quote!(.with_count_include_pad(false)));
        }
        let ty = if self.max {
            quote!(burn::nn::pool::MaxPool1d)
        } else {
            quote!(burn::nn::pool::AvgPool1d)
        };
        Emit::module(ty, quote!(#e.init()))
    }
}

impl Layer for Pool {
    /// Rule: pooling pads each side by at most half the kernel (PyTorch: "pad
    /// should be smaller than or equal to half of kernel size").
    fn check_arguments(&self, b: &Bound, walk: &mut Walk) {
        for axis in 3 - self.rank..3 {
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
            kernel: self.kernel,
            stride: self.stride,
            padding: self.padding,
            dilation: self.dilation,
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
            kernel: Pool::hw(self.kernel),
            stride: Pool::hw(self.stride),
            padding: Pool::hw(self.padding),
            dilation: Pool::hw(self.dilation),
            ceil_mode: self.ceil_mode,
            count_include_pad: self.count_include_pad,
        })
    }

    fn onnx(&self, o: &mut Lower) {
        let ([_, ih, iw], [_, oh, ow]) = (o.input_map(), o.output_map());
        let eff = self.effective_kernels();
        let [kernel, stride, padding, dilation] =
            [self.kernel, self.stride, self.padding, self.dilation].map(Pool::hw);
        let over = [(ih, oh), (iw, ow)].into_iter().enumerate().map(|(a, (i, out))| {
            ((out - 1) * stride[a] + eff[a]).saturating_sub(i + 2 * padding[a])
        });
        let over: Vec<u64> = over.collect();
        let [ph, pw] = padding;
        let mut attributes = vec![
            ("kernel_shape", ints(kernel)),
            ("strides", ints(stride)),
            ("pads", ints([ph, pw, ph + over[0], pw + over[1]])),
        ];
        if self.max {
            attributes.push(("dilations", ints(dilation)));
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
                        let start = i * stride[axis];
                        let end = (start + kernel[axis]).min(size + 2 * padding[axis]);
                        end - start
                    })
                    .collect()
            };
            let (rows, cols) = (counts(0, ih, oh), counts(1, iw, ow));
            let window = (kernel[0] * kernel[1]) as f64;
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
            input: size,
            eff: shape::effective_kernels(self.kernel, self.dilation),
            stride: self.stride,
            pad_before: self.padding,
            out,
        };
        if !self.ceil_mode {
            rules::warn_unread(walk, b, slide, true);
        }
        if self.max {
            rules::warn_padding_only(walk, b, self.kernel, slide, self.dilation);
        }
    }

    fn emit(&self, io: &Io) -> Emit {
        if self.rank != 2 {
            return self.emit_other_rank(io.krate);
        }
        if self.tiles() {
            return Emit {
                field: None,
                plan: Plan::TiledPool(Tiled {
                    max: self.max,
                    kernel: Pool::hw(self.kernel),
                }),
            };
        }
        let k = pair(Pool::hw(self.kernel));
        let mut e = if self.max {
            quote!(burn::nn::pool::MaxPool2dConfig::new(#k))
        } else {
            quote!(burn::nn::pool::AvgPool2dConfig::new(#k))
        };
        if self.stride != self.kernel {
            let s = pair(Pool::hw(self.stride));
            e.extend(quote!(.with_strides(#s)));
        }
        if self.padding != [0; 3] {
            let [ph, pw] = Pool::hw(self.padding).map(super::lit);
            e.extend(quote!(.with_padding(burn::nn::PaddingConfig2d::Explicit(#ph, #pw, #ph, #pw))));
        }
        if self.max && self.dilation != [1; 3] {
            let d = pair(Pool::hw(self.dilation));
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
