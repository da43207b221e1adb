//! `linear`: `nn.Linear`, on flat features.

use crate::onnx::{Attr, Lower, ints, refs};
use crate::shape::Op;
use super::{Bound, Emit, Fast, Io, Layer, Spec, Takes, Twin, Ty, Val, lit, opt, req};
use crate::model::Shape;
use quote::quote;

/// The kind.
pub static SPEC: Spec = Spec {
    name: "linear",
    pytorch: "nn.Linear",
    params: &[
        req("in_features", Ty::Positive),
        req("out_features", Ty::Positive),
        opt("bias", Ty::Bool, Val::Bool(true)),
    ],
    build: |a| {
        Some(Box::new(Linear {
            in_features: a.int("in_features")?,
            out_features: a.int("out_features")?,
            bias: a.bool("bias")?,
        }))
    },
};

/// `nn.Linear`'s arguments.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub struct Linear {
    pub in_features: u64,
    pub out_features: u64,
    pub bias: bool,
}

impl Layer for Linear {
    fn takes(&self) -> Takes {
        Takes::Features
    }

    fn yields_features(&self) -> bool {
        true
    }

    /// Flat features, or every position of a channels-last map.
    fn layout(&self) -> super::Layout {
        super::Layout::LastAxis
    }

    fn op(&self) -> Op {
        Op::Linear {
            in_features: self.in_features,
            out_features: self.out_features,
            bias: self.bias,
        }
    }

    fn output_without_input(&self) -> Option<Shape> {
        Some(Shape::Flat(self.out_features))
    }

    fn emit(&self, _io: &Io) -> Emit {
        let (i, o) = (lit(self.in_features), lit(self.out_features));
        let bias = if self.bias {
            quote!()
        } else {
            quote!(.with_bias(false))
        };
        Emit::module(
            quote!(burn::nn::Linear),
            quote!(burn::nn::LinearConfig::new(#i, #o)#bias.init(device)),
        )
    }

    fn fast(&self) -> Fast {
        Fast::Linear
    }

    /// `Gemm` on flat features; on a channels-last map, `MatMul` by the
    /// transposed weight at every position, then the bias.
    fn onnx(&self, o: &mut Lower) {
        let weights = o.weights("", self.bias);
        if !matches!(o.input, Shape::Map(..)) {
            o.apply("Gemm", &refs(&weights), vec![("transB", Attr::Int(1))]);
            return;
        }
        let transposed = o.node("Transpose", &[&weights[0]], vec![("perm", ints([1, 0]))]);
        o.apply("MatMul", &[&transposed], vec![]);
        if let Some(bias) = weights.get(1) {
            o.apply("Add", &[bias], vec![]);
        }
    }

    fn pytorch(&self, b: &Bound) -> String {
        Twin::new(b)
            .positional(&["in_features", "out_features"])
            .changed(&["bias"])
            .finish()
    }
}
