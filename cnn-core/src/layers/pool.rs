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
            depth: [self.kernel[0], self.stride[0], self.padding[0], self.dilation[0]],
        })
    }

    fn onnx(&self, o: &mut Lower) {
        // Per axis of the map: its input and output sizes and the numbers.
        let first = 3 - self.rank;
        let (input, output) = (o.input.spatial(), o.output.spatial());
        let (Some(input), Some(output)) = (input, output) else {
            return;
        };
        let (input, output) = (&input.all()[first..], &output.all()[first..]);
        let eff = shape::effective_kernels(self.kernel, self.dilation);
        let [kernel, stride, padding, dilation, eff] =
            [self.kernel, self.stride, self.padding, self.dilation, eff].map(|v| v[first..].to_vec());
        let over: Vec<u64> = (0..self.rank)
            .map(|a| ((output[a] - 1) * stride[a] + eff[a]).saturating_sub(input[a] + 2 * padding[a]))
            .collect();
        let ends = padding.iter().zip(&over).map(|(p, o)| p + o);
        let mut attributes = vec![
            ("kernel_shape", ints(kernel.iter().copied())),
            ("strides", ints(stride.iter().copied())),
            ("pads", ints(padding.iter().copied().chain(ends))),
        ];
        if self.max {
            attributes.push(("dilations", ints(dilation.iter().copied())));
            o.apply("MaxPool", &[], attributes);
            return;
        }
        attributes.push(("count_include_pad", Attr::Int(self.count_include_pad as i64)));
        o.apply("AveragePool", &[], attributes);
        if self.count_include_pad && over.iter().any(|&o| o > 0) {
            // PyTorch's divisor: the window clipped to the padded input, the
            // product of one count per axis; a constant map rescales ONNX's.
            let counts: Vec<Vec<u64>> = (0..self.rank)
                .map(|a| {
                    (0..output[a])
                        .map(|i| {
                            let start = i * stride[a];
                            (start + kernel[a]).min(input[a] + 2 * padding[a]) - start
                        })
                        .collect()
                })
                .collect();
            let window = kernel.iter().product::<u64>() as f64;
            let mut scale = vec![window];
            for axis in &counts {
                scale = scale.iter().flat_map(|s| axis.iter().map(move |c| s / *c as f64)).collect();
            }
            let dims: Vec<i64> = [1, 1].into_iter().chain(output.iter().map(|&d| d as i64)).collect();
            let scale = o.floats(&dims, scale);
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
