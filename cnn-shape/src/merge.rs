//! The merge rules: where a `residual` adds its two sides, a `concat` joins
//! its branches, a `multiply` gates one branch by another and a `split`
//! hands each branch its share of the channels. The macro and the plan's
//! walk both call them.

use crate::{Failure, Shape, Size};

/// Rule: both sides of a residual yield the same shape (`x + body(x)`).
pub fn residual(shortcut: bool, body: Shape, skip: Shape) -> Result<Shape, Failure> {
    if body == skip {
        Ok(body)
    } else {
        Err(Failure::Residual {
            shortcut,
            body,
            skip,
        })
    }
}

/// Rule: `concat` joins feature maps of one H×W along channels (or flat
/// features). `trace_of(i)` is branch `i`'s spatial trace, for the error.
pub fn concat(shapes: &[Shape], trace_of: impl Fn(usize) -> String) -> Result<Shape, Failure> {
    // The grammar gives a concat at least one branch; none would sum to nothing.
    let Some(&first) = shapes.first() else {
        return Err(Failure::ConcatOverflow);
    };
    if shapes.iter().any(|s| s.spatial() != first.spatial()) {
        return Err(Failure::Concat {
            shapes: shapes.to_vec(),
            traces: (0..shapes.len()).map(trace_of).collect(),
        });
    }
    let mut total = 0u64;
    for s in shapes {
        total = total
            .checked_add(s.channels())
            .ok_or(Failure::ConcatOverflow)?;
    }
    Ok(match first {
        Shape::Map(_, size) => Shape::Map(total, size),
        Shape::Flat(_) => Shape::Flat(total),
    })
}

/// How a concat's channels sum, for the notes: "128 = 64 + 64".
pub fn concat_sum(shapes: &[Shape], total: Shape) -> String {
    let parts: Vec<String> = shapes.iter().map(|s| s.channels().to_string()).collect();
    format!("{} = {}", total.channels(), parts.join(" + "))
}

/// A merge of branches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Merge {
    /// `concat { A } { B } …`: the branches' outputs along channels.
    Concat,
    /// `multiply { A } { B } …`: their product, a 1×1 output broadcast.
    Multiply,
    /// `split { A } { B } …`: branch `i` on the `i`-th of `k` equal channel
    /// chunks of the input, the outputs along channels.
    Split(u64),
    /// `add { A } { B } …`: the sum of the branches, of equal shapes.
    Add,
}

impl Merge {
    /// The DSL keyword.
    pub fn name(self) -> &'static str {
        match self {
            Merge::Concat => "concat",
            Merge::Multiply => "multiply",
            Merge::Split(_) => "split",
            Merge::Add => "add",
        }
    }

    /// The output of the branches `shapes` (each branch's end).
    pub fn join(
        self,
        shapes: &[Shape],
        trace_of: impl Fn(usize) -> String,
    ) -> Result<Shape, Failure> {
        match self {
            Merge::Concat | Merge::Split(_) => concat(shapes, trace_of),
            Merge::Multiply => multiply(shapes, trace_of),
            Merge::Add => add(shapes, trace_of),
        }
    }
}

/// Whether a merge's output takes a 1×1 branch broadcast over H×W (a gate
/// after a global pool): every output then depends on the whole input, and
/// the receptive field after it is not a window (`None`).
pub fn broadcasts(shapes: &[Shape], out: Shape) -> bool {
    let Shape::Map(_, size) = out else {
        return false;
    };
    !size.is_single()
        && shapes
            .iter()
            .any(|s| s.spatial().is_some_and(|s| s.is_single()))
}

/// Rule: `split` cuts `[C, H, W]` into `k` chunks of `C / k` channels
/// (`torch.chunk` with `k` dividing `C`); the shape each branch receives.
pub fn split(input: Shape, k: u64) -> Result<Shape, Failure> {
    match input {
        Shape::Flat(_) => Err(Failure::Rank { maps: true }),
        Shape::Map(c, size) if k > 0 && c % k == 0 => Ok(Shape::Map(c / k, size)),
        Shape::Map(c, _) => Err(Failure::Split {
            channels: c,
            parts: k,
        }),
    }
}

/// Rule: `add`'s branches yield the same shape; nothing is broadcast
/// (`A(x) + B(x) + …`, as in a feature pyramid's top-down sums).
pub fn add(shapes: &[Shape], trace_of: impl Fn(usize) -> String) -> Result<Shape, Failure> {
    let Some(&first) = shapes.first() else {
        return Err(Failure::ConcatOverflow);
    };
    if shapes.iter().all(|s| *s == first) {
        Ok(first)
    } else {
        Err(Failure::Add {
            shapes: shapes.to_vec(),
            traces: (0..shapes.len()).map(trace_of).collect(),
        })
    }
}

/// Rule: `multiply`'s branches are feature maps of the same channels and
/// H×W, except that a branch may yield 1×1, which is broadcast over the
/// others' H×W (squeeze-and-excitation); nothing else broadcasts. The
/// product has the full H×W.
pub fn multiply(shapes: &[Shape], trace_of: impl Fn(usize) -> String) -> Result<Shape, Failure> {
    let mismatch = || Failure::Multiply {
        shapes: shapes.to_vec(),
        traces: (0..shapes.len()).map(&trace_of).collect(),
    };
    let mut out: Option<(u64, Size)> = None;
    for shape in shapes {
        let Shape::Map(c, size) = *shape else {
            return Err(Failure::Rank { maps: true });
        };
        out = Some(match out {
            None => (c, size),
            Some((c0, _)) if c0 != c => return Err(mismatch()),
            Some((_, o)) if o.is_single() && o.rank() == size.rank() => (c, size),
            Some(o) if size == o.1 || (size.is_single() && size.rank() == o.1.rank()) => o,
            Some(_) => return Err(mismatch()),
        });
    }
    out.map(|(c, size)| Shape::Map(c, size))
        .ok_or(Failure::ConcatOverflow)
}

/// Rule: `upsample(like = w)` resizes a map to the H×W of the map `w`
/// (`F.interpolate(x, size = w.shape[-2:])`); both are maps.
pub fn like(input: Shape, like: Shape) -> Result<Shape, Failure> {
    match (input, like) {
        (Shape::Map(c, _), Shape::Map(_, size)) => Ok(Shape::Map(c, size)),
        _ => Err(Failure::Rank { maps: true }),
    }
}
