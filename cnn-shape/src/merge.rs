//! The merge rules: where a `residual` adds its two sides and a `concat`
//! joins its branches. The macro and the plan's walk both call them.

use crate::{Failure, Shape};

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
        let part = match s {
            Shape::Map([c, _, _]) => *c,
            Shape::Flat(f) => *f,
        };
        total = total.checked_add(part).ok_or(Failure::ConcatOverflow)?;
    }
    Ok(match first {
        Shape::Map([_, h, w]) => Shape::Map([total, h, w]),
        Shape::Flat(_) => Shape::Flat(total),
    })
}

/// How a concat's channels sum, for the notes: "128 = 64 + 64".
pub fn concat_sum(shapes: &[Shape], total: Shape) -> String {
    let parts: Vec<String> = shapes
        .iter()
        .map(|s| match s {
            Shape::Map([c, _, _]) => c.to_string(),
            Shape::Flat(f) => f.to_string(),
        })
        .collect();
    let total = match total {
        Shape::Map([c, _, _]) => c,
        Shape::Flat(f) => f,
    };
    format!("{total} = {}", parts.join(" + "))
}
