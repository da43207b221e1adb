//! `adaptive_avgpool` and `adaptive_maxpool`: `nn.AdaptiveAvgPool2d` and
//! `nn.AdaptiveMaxPool2d`. Output `i` reads input `[⌊i·in/out⌋, ⌈(i+1)·in/out⌉)`.

use crate::onnx::{Attr, Lower, ints};
use crate::shape::{self, Op};
use super::{Args, Bound, Emit, Fast, Io, Layer, Spec, Twin, Ty, pair, req};
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
    /// Output `(h, w)`.
    pub output_size: [u64; 2],
}

impl AdaptivePool {
    fn new(a: Args, max: bool) -> Option<AdaptivePool> {
        Some(AdaptivePool {
            max,
            output_size: a.pair("output_size")?,
        })
    }
}

impl Layer for AdaptivePool {
    fn op(&self) -> Op {
        Op::AdaptivePool {
            output: shape::hw_axes(self.output_size, 1),
        }
    }


    /// A pool of fixed windows where the output divides the input (the
    /// global pool for `(1, 1)`); else, since a window's max or mean is that
    /// of its rows' results, each axis in turn: one slice and reduction per
    /// output row (then column), concatenated.
    fn fast(&self) -> Fast {
        if !self.max && self.output_size == [1, 1] {
            Fast::GlobalAverage
        } else {
            Fast::Burn
        }
    }

    fn onnx(&self, o: &mut Lower) {
        let [_, ih, iw] = o.input_map();
        let [oh, ow] = self.output_size;
        if [oh, ow] == [1, 1] {
            let op = if self.max { "GlobalMaxPool" } else { "GlobalAveragePool" };
            o.apply(op, &[], vec![]);
        } else if ih % oh == 0 && iw % ow == 0 {
            let op = if self.max { "MaxPool" } else { "AveragePool" };
            let kernel = [ih / oh, iw / ow];
            o.apply(op, &[], vec![("kernel_shape", ints(kernel)), ("strides", ints(kernel))]);
        } else {
            let reduce = if self.max { "ReduceMax" } else { "ReduceMean" };
            for (axis, size, out) in [(2, ih, oh), (3, iw, ow)] {
                if size == out {
                    continue;
                }
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
        let size = pair(self.output_size);
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
