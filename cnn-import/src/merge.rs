//! Operations on two or more tensors: element-wise arithmetic (an
//! expression, a merge, a per-channel `scale`, a linear layer's bias),
//! `Concat` and `Split`.

use crate::act::Expr;
use crate::error::Error;
use crate::fold;
use crate::ir::{Arg, Call, Kind, Layer};
use crate::lower::{Cx, Val, binary_op, float_tensor, scalar};
use crate::onnx::Tensor;
use crate::scope;

/// `Add`, `Sub`, `Mul`, `Div`, `Pow` with at least one computed input.
pub(crate) fn binary(cx: &mut Cx<'_>) -> Result<(), Error> {
    let op = cx.node.op.clone();
    let (a, b) = (cx.val(0)?.clone(), cx.val(1)?.clone());
    let here = scope::of_node(cx.node);
    let expr_of = |v: &Val| match v {
        Val::Dyn(x) => Some((*x, Expr::X)),
        Val::Expr(x, e, _) => Some((*x, e.clone())),
        _ => None,
    };
    // x op constant, constant op x, and two expressions of one tensor.
    let combined = match (&a, &b) {
        (Val::Const(c), v) | (v, Val::Const(c)) if scalar(c).is_some() => {
            expr_of(v).map(|(x, e)| {
                let k = Expr::Const(scalar(c).unwrap_or_default());
                let e = if matches!(a, Val::Const(_)) {
                    k.binary(binary_op(&op), e)
                } else {
                    e.binary(binary_op(&op), k)
                };
                (x, e)
            })
        }
        _ => match (expr_of(&a), expr_of(&b)) {
            (Some((x, ea)), Some((y, eb))) if x == y => Some((x, ea.binary(binary_op(&op), eb))),
            _ => None,
        },
    };
    if let Some((x, e)) = combined {
        cx.set(0, Val::Expr(x, e, here));
        return Ok(());
    }
    match (&a, &b, op.as_str()) {
        (Val::Const(c), _, "Mul") | (_, Val::Const(c), "Mul") => {
            let i = if matches!(a, Val::Const(_)) { 1 } else { 0 };
            scale(cx, i, &c.clone())
        }
        (_, Val::Const(c), "Add") => bias(cx, 0, &c.clone()),
        (Val::Const(c), _, "Add") => bias(cx, 1, &c.clone()),
        (Val::Const(_), _, _) | (_, Val::Const(_), _) => Err(cx.unsupported(format!(
            "`{op}` with a constant tensor that is neither one number nor a per-channel scale"
        ))),
        (_, _, "Add" | "Mul") => {
            let (x, y) = (cx.dynamic(0)?, cx.dynamic(1)?);
            let (sx, sy) = (cx.net.shapes[x].clone(), cx.net.shapes[y].clone());
            let shape = fold::broadcast(&to_usize(&sx), &to_usize(&sy))
                .map(|s| s.iter().map(|&d| d as i64).collect::<Vec<_>>());
            let Some(shape) = shape.filter(|s| op == "Mul" || (s == &sx && s == &sy)) else {
                return Err(cx.unsupported(format!("`{op}` of tensors {sx:?} and {sy:?}: `cnn!` adds equal shapes and multiplies a map by a 1×1 gate")));
            };
            let kind = if op == "Add" { Kind::Add } else { Kind::Mul };
            cx.push(kind, vec![x, y], shape, here);
            Ok(())
        }
        _ => Err(cx.unsupported(format!(
            "`{op}` of two computed tensors: `cnn!` merges by `add`, `multiply` and `concat`"
        ))),
    }
}

fn to_usize(s: &[i64]) -> Vec<usize> {
    s.iter().map(|&d| d.max(0) as usize).collect()
}

/// `x · c` with `c` one number per channel: a `scale(C)` layer.
fn scale(cx: &mut Cx<'_>, input: usize, c: &Tensor) -> Result<(), Error> {
    let x = cx.dynamic(input)?;
    let shape = cx.net.shapes[x].clone();
    let last = cx.net.channels_last[x];
    let channels = if last {
        shape.last().copied()
    } else {
        shape.get(1).copied()
    }
    .unwrap_or(0);
    let per_channel = fold::numel(c) as i64 == channels
        && c.dims.iter().filter(|&&d| d != 1).count() <= 1
        && if last {
            c.dims.last().map(|&d| d as i64) == Some(channels)
        } else {
            c.dims.len() + 1 >= shape.len()
        };
    if !per_channel {
        return Err(cx.unsupported("a product with a constant that is not one value per channel"));
    }
    let param = Tensor {
        dims: vec![channels as usize, 1, 1],
        ..float_tensor(c)
    };
    let scope = scope::of_parameter(&c.name)
        .filter(|_| cx.own(&c.name))
        .map(|mut s| {
            s.push(c.name.rsplit('.').next().unwrap_or_default().to_string());
            s
        });
    let scope = scope.unwrap_or_else(|| scope::of_node(cx.node));
    let call = Call::bare("scale").pos(Arg::Int(channels));
    let layer = Layer {
        call,
        params: vec![("", param)],
    };
    let out = cx.new_value(shape, last);
    cx.net.items.push(crate::ir::Item {
        kind: Kind::Layer(layer),
        inputs: vec![x],
        outputs: vec![out],
        scope,
    });
    cx.set(0, Val::Dyn(out));
    Ok(())
}

/// `MatMul(x, W) + b`: the bias of the linear layer just made.
fn bias(cx: &mut Cx<'_>, input: usize, c: &Tensor) -> Result<(), Error> {
    let x = cx.dynamic(input)?;
    let once = cx.uses.get(cx.node.inputs[input].as_str()) == Some(&1);
    let last = cx.net.items.iter_mut().rev().find(|i| i.outputs == [x]);
    let Some(item) = last.filter(|_| once) else {
        return Err(
            cx.unsupported("adding a constant tensor to what is not a bias-free linear layer")
        );
    };
    let Kind::Layer(layer) = &mut item.kind else {
        return Err(cx.unsupported("adding a constant tensor to a merge"));
    };
    let out = layer.params.first().map_or(0, |(_, w)| w.dims[0]);
    if layer.call.name != "linear" || layer.params.len() != 1 || fold::numel(c) != out {
        return Err(
            cx.unsupported("adding a constant tensor to what is not a bias-free linear layer")
        );
    }
    layer.call.args.retain(|(k, _)| *k != Some("bias"));
    layer.params.push((
        "bias",
        Tensor {
            dims: vec![out],
            ..float_tensor(c)
        },
    ));
    cx.set(0, Val::Dyn(x));
    Ok(())
}

/// `Concat` along the channels of computed tensors.
pub(crate) fn concat(cx: &mut Cx<'_>) -> Result<(), Error> {
    let mut inputs = Vec::new();
    for i in 0..cx.node.inputs.len() {
        inputs.push(cx.dynamic(i)?);
    }
    if let [only] = inputs[..] {
        cx.set(0, Val::Dyn(only));
        return Ok(());
    }
    let first = cx.net.shapes[inputs[0]].clone();
    let rank = first.len() as i64;
    let axis = cx.int("axis", 1);
    let axis = if axis < 0 { axis + rank } else { axis };
    if axis != 1 || inputs.iter().any(|&v| cx.net.channels_last[v]) {
        return Err(cx.unsupported(format!(
            "concatenation along axis {axis}: `cnn!` concatenates channels (axis 1)"
        )));
    }
    let mut shape = first.clone();
    shape[1] = 0;
    for &v in &inputs {
        let s = &cx.net.shapes[v];
        if s.len() != first.len() || s[2..] != first[2..] {
            return Err(cx.unsupported("concatenating maps of different sizes"));
        }
        shape[1] += s[1];
    }
    cx.push(Kind::Concat, inputs, shape, scope::of_node(cx.node));
    Ok(())
}

/// `Split` of the channels into equal parts.
pub(crate) fn split(cx: &mut Cx<'_>) -> Result<(), Error> {
    let x = cx.dynamic(0)?;
    let shape = cx.net.shapes[x].clone();
    let axis = cx.int("axis", 0);
    let axis = if axis < 0 {
        axis + shape.len() as i64
    } else {
        axis
    };
    let parts = cx.node.outputs.len() as i64;
    let sizes = match cx.opt_const(1)? {
        Some(t) => fold::ints(t),
        None => cx.ints("split").unwrap_or_else(|| {
            vec![shape.get(1).copied().unwrap_or(0) / parts.max(1); parts as usize]
        }),
    };
    let equal = sizes.len() as i64 == parts && sizes.iter().all(|&s| s * parts == shape[1]);
    if axis != 1 || !equal || cx.net.channels_last[x] {
        return Err(cx.unsupported(format!(
            "a split into {sizes:?} along axis {axis}: `cnn!` splits channels into equal parts"
        )));
    }
    let mut part = shape.clone();
    part[1] /= parts;
    let outputs: Vec<_> = (0..parts)
        .map(|_| cx.new_value(part.clone(), false))
        .collect();
    cx.net.items.push(crate::ir::Item {
        kind: Kind::Split,
        inputs: vec![x],
        outputs: outputs.clone(),
        scope: scope::of_node(cx.node),
    });
    for (i, v) in outputs.into_iter().enumerate() {
        cx.set(i, Val::Dyn(v));
    }
    Ok(())
}

/// A `Slice` of the channels that is one of `k` equal chunks: an output of
/// the (one) split of that tensor into `k` chunks.
pub(crate) fn slice(cx: &mut Cx<'_>) -> Result<(), Error> {
    let x = cx.dynamic(0)?;
    let shape = cx.net.shapes[x].clone();
    let first = |i: usize| -> Result<Option<i64>, Error> {
        Ok(cx
            .opt_const(i)?
            .and_then(|t| fold::ints(t).first().copied()))
    };
    let (start, end) = (first(1)?.unwrap_or(0), first(2)?.unwrap_or(i64::MAX));
    let axis = first(3)?.unwrap_or(0);
    let step = first(4)?.unwrap_or(1);
    let rank = shape.len() as i64;
    let axis = if axis < 0 { axis + rank } else { axis };
    let c = shape.get(1).copied().unwrap_or(0);
    let clamp = |i: i64| (if i < 0 { i + c } else { i }).clamp(0, c);
    let (start, end) = (clamp(start), clamp(end));
    let size = end - start;
    let chunk = axis == 1
        && step == 1
        && size > 0
        && c % size == 0
        && start % size == 0
        && !cx.net.channels_last[x];
    if !chunk {
        return Err(cx.unsupported(format!(
            "a slice [{start}, {end}) along axis {axis}: `cnn!` slices channels into equal chunks (`split`)"
        )));
    }
    let k = c / size;
    let item = match cx.splits.get(&(x, k)) {
        Some(&item) => item,
        None => {
            let mut part = shape.clone();
            part[1] = size;
            let outputs: Vec<_> = (0..k).map(|_| cx.new_value(part.clone(), false)).collect();
            cx.net.items.push(crate::ir::Item {
                kind: Kind::Split,
                inputs: vec![x],
                outputs,
                scope: scope::of_node(cx.node),
            });
            cx.splits.insert((x, k), cx.net.items.len() - 1);
            cx.net.items.len() - 1
        }
    };
    let out = cx.net.items[item].outputs[(start / size) as usize];
    cx.set(0, Val::Dyn(out));
    Ok(())
}

/// DenseNet's concatenations as nested ones: `cat(x, a, b)` after
/// `y = cat(x, a)` is `cat(y, b)`, which `concat {} { … }` writes.
pub fn nest_concats(net: &mut crate::ir::Net) {
    // Prefixes are matched on the graph's own input lists, before nesting.
    let original: Vec<Vec<usize>> = net.items.iter().map(|item| item.inputs.clone()).collect();
    for i in 0..net.items.len() {
        if net.items[i].kind != Kind::Concat {
            continue;
        }
        let inputs = &original[i];
        let prefix = (0..i)
            .filter(|&j| net.items[j].kind == Kind::Concat)
            .filter(|&j| original[j].len() < inputs.len() && inputs.starts_with(&original[j]))
            .max_by_key(|&j| original[j].len());
        if let Some(j) = prefix {
            let mut nested = vec![net.items[j].outputs[0]];
            nested.extend_from_slice(&inputs[original[j].len()..]);
            net.items[i].inputs = nested;
        }
    }
}
