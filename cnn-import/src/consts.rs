//! Nodes whose inputs are all constants, folded; and `Shape`.

use crate::error::Error;
use crate::fold;
use crate::lower::{Cx, Val};
use crate::onnx::{Attribute, Data, Tensor};

/// An operation on integers (`None` on overflow) and on floats.
type Arith = (fn(i64, i64) -> Option<i64>, fn(f32, f32) -> f32);

/// Folds a node whose inputs are constants.
pub(crate) fn fold_node(cx: &mut Cx<'_>) -> Result<(), Error> {
    let out = match cx.node.op.as_str() {
        "Constant" => match cx.node.attributes.first().map(|(n, a)| (n.as_str(), a)) {
            Some(("value", Attribute::Tensor(t))) => t.clone(),
            Some(("value_float", Attribute::Float(f))) => Tensor {
                dims: vec![],
                data: Data::Float(vec![*f].into()),
                ..Tensor::default()
            },
            Some(("value_floats", Attribute::Floats(v))) => Tensor {
                dims: vec![v.len()],
                data: Data::Float(v.clone().into()),
                ..Tensor::default()
            },
            Some(("value_int", Attribute::Int(i))) => Tensor {
                dims: vec![],
                data: Data::Int(vec![*i].into()),
                ..Tensor::default()
            },
            Some(("value_ints", Attribute::Ints(v))) => fold::int_vector(v.clone()),
            _ => return Err(cx.unsupported("a constant of a kind the importer does not read")),
        },
        "Identity" | "Cast" | "Dropout" => {
            let t = cx.constant(0)?.clone();
            if cx.node.op == "Cast" && matches!(cx.int("to", 1), 1 | 10 | 11) {
                Tensor {
                    data: Data::Float(fold::floats(&t).into()),
                    ..t
                }
            } else if cx.node.op == "Cast" {
                Tensor {
                    data: Data::Int(fold::ints(&t).into()),
                    ..t
                }
            } else {
                t
            }
        }
        "Unsqueeze" | "Squeeze" | "Reshape" | "Flatten" => reshape(cx)?,
        "Gather" => {
            let (data, idx) = (cx.constant(0)?, cx.constant(1)?);
            let axis = axis(cx.int("axis", 0), data.dims.len())
                .ok_or_else(|| cx.unsupported("axis out of range"))?;
            fold::gather(data, idx, axis).ok_or_else(|| cx.unsupported("an index out of range"))?
        }
        "Concat" => {
            let mut values = Vec::new();
            for i in 0..cx.node.inputs.len() {
                let t = cx.constant(i)?;
                if t.dims.len() > 1 {
                    return Err(cx.unsupported("concatenating constants of more than one axis"));
                }
                values.extend(fold::ints(t));
            }
            fold::int_vector(values)
        }
        "Slice" => {
            let t = cx.constant(0)?;
            let first = |i: usize| -> Result<Option<i64>, Error> {
                Ok(cx
                    .opt_const(i)?
                    .and_then(|t| fold::ints(t).first().copied()))
            };
            let (start, end) = (first(1)?.unwrap_or(0), first(2)?.unwrap_or(i64::MAX));
            let step = first(4)?.unwrap_or(1);
            fold::slice_vector(t, start, end, step)
                .ok_or_else(|| cx.unsupported("a slice of a constant of more than one axis"))?
        }
        "Add" | "Sub" | "Mul" | "Div" => {
            let (a, b) = (cx.constant(0)?, cx.constant(1)?);
            let (fi, ff): Arith = match cx.node.op.as_str() {
                "Add" => (i64::checked_add, |x, y| x + y),
                "Sub" => (i64::checked_sub, |x, y| x - y),
                "Mul" => (i64::checked_mul, |x, y| x * y),
                _ => (
                    |x, y| if y == 0 { None } else { Some(x.div_euclid(y)) },
                    |x, y| x / y,
                ),
            };
            fold::binary(a, b, fi, ff).ok_or_else(|| {
                cx.unsupported("constants that do not broadcast, or integer overflow")
            })?
        }
        "Sqrt" | "Neg" | "Reciprocal" => {
            let t = cx.constant(0)?;
            let f: fn(f32) -> f32 = match cx.node.op.as_str() {
                "Sqrt" => f32::sqrt,
                "Neg" => |x| -x,
                _ => |x| 1.0 / x,
            };
            Tensor {
                data: Data::Float(fold::floats(t).into_iter().map(f).collect()),
                ..t.clone()
            }
        }
        "Transpose" => {
            let t = cx.constant(0)?;
            let perm = cx
                .ints("perm")
                .unwrap_or_else(|| (0..t.dims.len() as i64).rev().collect());
            fold::transpose(t, &perm)
                .ok_or_else(|| cx.unsupported("a permutation that does not match the tensor"))?
        }
        "ConstantOfShape" => {
            let dims: Vec<usize> = fold::ints(cx.constant(0)?)
                .into_iter()
                .map(|d| d.max(0) as usize)
                .collect();
            let n: usize = dims
                .iter()
                .try_fold(1usize, |a, &d| a.checked_mul(d))
                .filter(|&n| n <= 1 << 16)
                .ok_or_else(|| cx.unsupported("a constant of more than 65,536 values"))?;
            let value = match cx.attr("value") {
                Some(Attribute::Tensor(t)) => t.data.clone(),
                _ => Data::Float(vec![0.0].into()),
            };
            let data = match value {
                Data::Int(v) => Data::Int(vec![v.first().copied().unwrap_or(0); n].into()),
                Data::Float(v) => Data::Float(vec![v.first().copied().unwrap_or(0.0); n].into()),
            };
            Tensor {
                dims,
                data,
                ..Tensor::default()
            }
        }
        op => {
            return Err(
                cx.unsupported(format!("`{op}` on constants is not folded by the importer"))
            );
        }
    };
    // A shape's slice or gather remembers whose shape it is.
    let source = cx
        .node
        .inputs
        .iter()
        .filter_map(|n| cx.shape_of.get(n.as_str()).copied())
        .next();
    if let (Some(source), Some(name)) = (source, cx.node.outputs.first()) {
        cx.shape_of.insert(name.as_str(), source);
    }
    cx.set(0, Val::Const(out));
    Ok(())
}

fn axis(a: i64, rank: usize) -> Option<usize> {
    let a = if a < 0 { a + rank as i64 } else { a };
    usize::try_from(a).ok().filter(|&a| a < rank.max(1))
}

fn reshape(cx: &Cx<'_>) -> Result<Tensor, Error> {
    let t = cx.constant(0)?;
    let n = fold::numel(t);
    let mut dims: Vec<usize> = t.dims.clone();
    match cx.node.op.as_str() {
        "Flatten" => {
            let a = axis(cx.int("axis", 1), dims.len() + 1).unwrap_or(1);
            let outer: usize = dims[..a.min(dims.len())].iter().product();
            dims = vec![outer, n / outer.max(1)];
        }
        "Reshape" => {
            let target = fold::ints(cx.constant(1)?);
            let known: i64 = target
                .iter()
                .enumerate()
                .map(|(i, &d)| {
                    if d == 0 {
                        dims.get(i).map_or(1, |&x| x as i64)
                    } else if d < 0 {
                        1
                    } else {
                        d
                    }
                })
                .product();
            dims = target
                .iter()
                .enumerate()
                .map(|(i, &d)| match d {
                    0 => dims.get(i).copied().unwrap_or(1),
                    d if d < 0 => n / (known.max(1) as usize),
                    d => d as usize,
                })
                .collect();
        }
        op => {
            let axes = match cx.opt_const(1)? {
                Some(t) => fold::ints(t),
                None => cx.ints("axes").unwrap_or_default(),
            };
            if op == "Unsqueeze" {
                let rank = dims.len() + axes.len();
                let mut sorted: Vec<usize> = axes.iter().filter_map(|&a| axis(a, rank)).collect();
                sorted.sort_unstable();
                for a in sorted {
                    dims.insert(a.min(dims.len()), 1);
                }
            } else {
                let rank = dims.len();
                let drop: Vec<usize> = axes.iter().filter_map(|&a| axis(a, rank)).collect();
                dims = dims
                    .iter()
                    .enumerate()
                    .filter(|(i, d)| {
                        if drop.is_empty() {
                            **d != 1
                        } else {
                            !drop.contains(i)
                        }
                    })
                    .map(|(_, &d)| d)
                    .collect();
            }
        }
    }
    if dims.iter().product::<usize>() != n {
        return Err(cx.unsupported(format!("reshaping {n} values to {dims:?}")));
    }
    Ok(fold::reshaped(t, dims))
}

/// `Shape(x)`: the dims of `x` as a constant, remembering `x`.
pub(crate) fn shape(cx: &mut Cx<'_>) -> Result<(), Error> {
    let (dims, source) = match cx.val(0)? {
        Val::Const(t) => (t.dims.iter().map(|&d| d as i64).collect::<Vec<_>>(), None),
        Val::Dyn(v) | Val::Expr(v, ..) | Val::Shuffle { base: v, .. } | Val::Flat(v) => {
            (cx.net.shapes[*v].clone(), Some(*v))
        }
    };
    let rank = dims.len() as i64;
    let clamp = |i: i64| (if i < 0 { i + rank } else { i }).clamp(0, rank) as usize;
    let start = clamp(cx.int("start", 0));
    let end = clamp(cx.int("end", rank));
    let dims = dims[start..end.max(start)].to_vec();
    if let (Some(source), Some(name)) = (source, cx.node.outputs.first()) {
        cx.shape_of.insert(name.as_str(), source);
    }
    cx.set(0, Val::Const(fold::int_vector(dims)));
    Ok(())
}
