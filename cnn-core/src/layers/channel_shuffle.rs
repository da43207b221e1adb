//! `channel_shuffle`: `nn.ChannelShuffle` (ShuffleNet): `[g, C/g]` channels
//! read as `[C/g, g]`.

use super::{Bound, Emit, Inferred, Io, Layer, Spec, Twin, Ty, lit, req};
use crate::check::Walk;
use crate::model::Shape;
use crate::shape;
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
    fn infer(&self, walk: &mut Walk, b: &Bound, input: Shape) -> Option<Inferred> {
        let Shape::Map([c, _, _]) = input else {
            return None;
        };
        if shape::channel_shuffle_groups(c, self.groups).is_err() {
            let fit = shape::largest_common_divisor_up_to(c, c, self.groups);
            walk.error(
                b,
                format!(
                    "`{}` needs channels divisible by {} groups, but {c} arrive\n= help: write `{}`",
                    b.render(),
                    self.groups,
                    b.render_with(Some(("groups", &fit.to_string())))
                ),
            );
            return None;
        }
        Some(walk.out(input, 0, 0, |r, _| Some(r)))
    }

    fn emit(&self, io: &Io) -> Emit {
        let (krate, g) = (io.krate, lit(self.groups));
        Emit::function(quote!(#krate::__private::channel_shuffle(x, #g)))
    }

    fn pytorch(&self, b: &Bound) -> String {
        Twin::new(b).positional(&["groups"]).finish()
    }
}
