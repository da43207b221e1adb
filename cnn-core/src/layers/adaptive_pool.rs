//! `adaptive_avgpool` and `adaptive_maxpool`: `nn.AdaptiveAvgPool2d` and
//! `nn.AdaptiveMaxPool2d`. Output `i` reads input `[⌊i·in/out⌋, ⌈(i+1)·in/out⌉)`.

use crate::shape::Op;
use super::{Args, Bound, Emit, Io, Layer, Spec, Twin, Ty, pair, req};
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
            output: self.output_size,
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
