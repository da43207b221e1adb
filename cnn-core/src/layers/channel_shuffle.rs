//! `channel_shuffle`: `nn.ChannelShuffle` (ShuffleNet): `[g, C/g]` channels
//! read as `[C/g, g]`.

use crate::onnx::{Attr, Lower};
use crate::shape::Op;
use super::{Bound, Emit, Io, Layer, Spec, Twin, Ty, lit, req};
use quote::quote;

/// The kind.
pub static SPEC: Spec = Spec {
    name: "channel_shuffle",
    pytorch: "nn.ChannelShuffle",
    params: &[req("groups", Ty::Positive)],
    build: |a| {
        Some(Box::new(ChannelShuffle {
            groups: a.int("groups")?,
        }))
    },
};

/// `nn.ChannelShuffle`'s argument.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelShuffle {
    /// `groups`.
    pub groups: u64,
}

impl Layer for ChannelShuffle {
    /// Rule: the channels are a multiple of `groups` (PyTorch: "Number of
    /// channels must be divisible by groups").
    fn op(&self) -> Op {
        Op::ChannelShuffle {
            groups: self.groups,
        }
    }

    fn emit(&self, io: &Io) -> Emit {
        let (krate, g) = (io.krate, lit(self.groups));
        Emit::function(quote!(#krate::__private::channel_shuffle(x, #g)))
    }

    /// As PyTorch writes it: `[N, g, C/g, H, W]`, the two group axes swapped.
    fn onnx(&self, o: &mut Lower) {
        let dims = o.input.dims();
        let (c, positions) = (dims[0], dims[1..].iter().product::<u64>());
        o.reshape(&[self.groups, c / self.groups, positions]);
        o.apply("Transpose", &[], vec![("perm", Attr::Ints(vec![0, 2, 1, 3]))]);
        o.reshape(&dims);
    }

    fn pytorch(&self, b: &Bound) -> String {
        Twin::new(b).positional(&["groups"]).finish()
    }
}
