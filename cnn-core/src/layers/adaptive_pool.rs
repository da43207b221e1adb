//! `adaptive_avgpool` and `adaptive_maxpool`: `nn.AdaptiveAvgPool2d` and
//! `nn.AdaptiveMaxPool2d`. Output `i` reads input `[⌊i·in/out⌋, ⌈(i+1)·in/out⌉)`.

use crate::onnx::{Attr, Lower, ints};
use crate::shape::{Axes, Op};
use super::{Args, Bound, Emit, Fast, Io, Layer, Spec, Twin, Ty, lit, pair, req};
use quote::quote;

/// `adaptive_avgpool`.
pub static ADAPTIVE_AVGPOOL: Spec = Spec {
    name: "adaptive_avgpool",
    pytorch: "nn.AdaptiveAvgPool2d",
    params: &[req("output_size", Ty::Size)],
    build: |a| Some(Box::new(AdaptivePool::new(a, false)?)),
};

/// `adaptive_maxpool`.
pub static ADAPTIVE_MAXPOOL: Spec = Spec {
    name: "adaptive_maxpool",
    pytorch: "nn.AdaptiveMaxPool2d",
    params: &[req("output_size", Ty::Size)],
    build: |a| Some(Box::new(AdaptivePool::new(a, true)?)),
};

/// An adaptive pool.
#[derive(Debug, Clone, PartialEq)]
pub struct AdaptivePool {
    /// Max (else average).
    pub max: bool,
    /// Output size per axis over `[D, H, W]` (1 on the axes the map lacks).
    pub output_size: Axes,
    /// The map's spatial rank.
    pub rank: usize,
}

impl AdaptivePool {
    fn new(a: Args, max: bool) -> Option<AdaptivePool> {
        Some(AdaptivePool {
            max,
            output_size: a.axes("output_size", 1)?,
            rank: a.rank(),
        })
    }

    /// `(h, w)`, the whole output of a 2-D pool.
    fn hw(&self) -> [u64; 2] {
        [self.output_size[1], self.output_size[2]]
    }
}

impl Layer for AdaptivePool {
    fn op(&self) -> Op {
        Op::AdaptivePool {
            output: self.output_size,
        }
    }


    /// A pool of fixed windows where the output divides the input (the
    /// global pool for `(1, 1)`); else, since a window's max or mean is that
    /// of its rows' results, each axis in turn: one slice and reduction per
    /// output row (then column), concatenated.
    fn fast(&self) -> Fast {
        if !self.max && self.output_size == [1; 3] {
            Fast::GlobalAverage
        } else {
            Fast::Burn
        }
    }

    fn onnx(&self, o: &mut Lower) {
        let Some(input) = o.input.spatial() else {
            return;
        };
        let first = 3 - self.rank;
        let (input, output) = (&input.all()[first..], &self.output_size[first..]);
        if output.iter().all(|&s| s == 1) {
            let op = if self.max { "GlobalMaxPool" } else { "GlobalAveragePool" };
            o.apply(op, &[], vec![]);
        } else if input.iter().zip(output).all(|(i, o)| i % o == 0) {
            let op = if self.max { "MaxPool" } else { "AveragePool" };
            let kernel: Vec<u64> = input.iter().zip(output).map(|(i, o)| i / o).collect();
            let attributes = vec![
                ("kernel_shape", ints(kernel.iter().copied())),
                ("strides", ints(kernel.iter().copied())),
            ];
            o.apply(op, &[], attributes);
        } else {
            let reduce = if self.max { "ReduceMax" } else { "ReduceMean" };
            for (a, (&size, &out)) in input.iter().zip(output).enumerate() {
                if size == out {
                    continue;
                }
                let axis = a as i64 + 2;
                let x = o.x.clone();
                let axes = o.ints(&[1], vec![axis]);
                let parts: Vec<String> = (0..out)
                    .map(|i| {
                        let start = (i * size / out) as i64;
                        let end = ((i + 1) * size).div_ceil(out) as i64;
                        let (start, end) = (o.ints(&[1], vec![start]), o.ints(&[1], vec![end]));
                        let window = o.node("Slice", &[&x, &start, &end, &axes], vec![]);
                        let keep = vec![("axes", Attr::Ints(vec![axis])), ("keepdims", Attr::Int(1))];
                        o.node(reduce, &[&window], keep)
                    })
                    .collect();
                let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
                o.x = o.node("Concat", &parts, vec![("axis", Attr::Int(axis))]);
            }
        }
    }

    fn emit(&self, io: &Io) -> Emit {
        if self.rank != 2 {
            // burn's 3-D adaptive pool is `todo!()` on wgpu and it has no max one.
            let krate = io.krate;
            let (max, sizes) = (self.max, &self.output_size[3 - self.rank..]);
            let sizes = sizes.iter().map(|&s| lit(s));
            return Emit::function(quote!(#krate::__private::adaptive_pool(x, &[#(#sizes),*], #max)));
        }
        let size = pair(self.hw());
        if self.max {
            // burn has no adaptive max pooling module.
            let krate = io.krate;
            Emit::function(quote!(#krate::__private::adaptive_max_pool2d(x, #size)))
        } else {
            Emit::module(
                quote!(burn::nn::pool::AdaptiveAvgPool2d),
                quote!(burn::nn::pool::AdaptiveAvgPool2dConfig::new(#size).init()),
            )
        }
    }

    fn pytorch(&self, b: &Bound) -> String {
        Twin::new(b).positional(&["output_size"]).finish()
    }
}
