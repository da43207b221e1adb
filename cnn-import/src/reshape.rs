//! `Reshape` and `Transpose` of computed tensors: `flatten`, `permute` to
//! channels-last and back, and `channel_shuffle` (reshape into groups, swap
//! the two group axes, reshape back).

use crate::error::Error;
use crate::fold;
use crate::ir::{Arg, Call, Kind, Layer};
use crate::layers::flatten;
use crate::lower::{Cx, Val};
use crate::scope;

pub(crate) fn reshape(cx: &mut Cx<'_>) -> Result<(), Error> {
    let target = fold::ints(cx.constant(1)?);
    match cx.val(0)?.clone() {
        Val::Shuffle {
            base,
            groups,
            transposed: true,
        } => {
            let shape = cx.net.shapes[base].clone();
            if resolve(&target, &[shape[0], shape[1] / groups, groups], &shape)
                == Some(shape.clone())
            {
                let call = Call::bare("channel_shuffle").pos(Arg::Int(groups));
                let layer = Layer {
                    call,
                    params: Vec::new(),
                };
                cx.push(
                    Kind::Layer(layer),
                    vec![base],
                    shape,
                    scope::of_node(cx.node),
                );
                return Ok(());
            }
            Err(cx.unsupported(
                "a reshape after swapping channel groups that does not restore the map",
            ))
        }
        Val::Shuffle { .. } => {
            Err(cx.unsupported("a reshape of a tensor reshaped into channel groups"))
        }
        _ => {
            let x = cx.dynamic(0)?;
            let shape = cx.net.shapes[x].clone();
            let Some(out) = resolve(&target, &shape, &shape) else {
                return Err(cx.unsupported(format!("a reshape of {shape:?} to {target:?}")));
            };
            let total: i64 = shape[1..].iter().product();
            if out.len() == 2 && out[0] == shape[0] && out[1] == total {
                return if shape.len() == 2 {
                    alias(cx, x)
                } else {
                    flatten(cx, x)
                };
            }
            if out == shape {
                return alias(cx, x);
            }
            if out.len() == 1 {
                cx.set(0, Val::Flat(x));
                return Ok(());
            }
            // [N, C, spatial…] → [N, g, C/g, spatial…]
            let spatial = &shape[2..];
            if out.len() == shape.len() + 1
                && out[0] == shape[0]
                && out[1] * out[2] == shape[1]
                && &out[3..] == spatial
            {
                cx.set(
                    0,
                    Val::Shuffle {
                        base: x,
                        groups: out[1],
                        transposed: false,
                    },
                );
                return Ok(());
            }
            Err(cx.unsupported(format!("a reshape of {shape:?} to {out:?}: `cnn!` reshapes by `flatten` and `channel_shuffle`")))
        }
    }
}

fn alias(cx: &mut Cx<'_>, x: usize) -> Result<(), Error> {
    cx.set(0, Val::Dyn(x));
    Ok(())
}

/// ONNX's reshape target with `0` (copy) and `-1` (infer) resolved against
/// `input` (whose element count `shape` gives).
fn resolve(target: &[i64], input: &[i64], shape: &[i64]) -> Option<Vec<i64>> {
    let total: i64 = shape.iter().product();
    let mut out: Vec<i64> = target
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            if d == 0 {
                input.get(i).copied().unwrap_or(0)
            } else {
                d
            }
        })
        .collect();
    let known: i64 = out.iter().filter(|&&d| d > 0).product();
    match out.iter().filter(|&&d| d < 0).count() {
        0 => {}
        1 if known > 0 && total % known == 0 => {
            for d in out.iter_mut().filter(|d| **d < 0) {
                *d = total / known;
            }
        }
        _ => return None,
    }
    (out.iter().product::<i64>() == total).then_some(out)
}

pub(crate) fn transpose(cx: &mut Cx<'_>) -> Result<(), Error> {
    let perm = cx.ints("perm").unwrap_or_default();
    if let Val::Shuffle {
        base,
        groups,
        transposed: false,
    } = cx.val(0)?.clone()
    {
        let rank = cx.net.shapes[base].len() as i64 + 1;
        let mut swap: Vec<i64> = (0..rank).collect();
        swap.swap(1, 2);
        if perm == swap {
            cx.set(
                0,
                Val::Shuffle {
                    base,
                    groups,
                    transposed: true,
                },
            );
            return Ok(());
        }
        return Err(
            cx.unsupported("a transpose of channel groups other than swapping the two group axes")
        );
    }
    let x = cx.dynamic(0)?;
    let shape = cx.net.shapes[x].clone();
    let last = cx.net.channels_last[x];
    let (to_last, to_first) = (perm == [0, 2, 3, 1], perm == [0, 3, 1, 2]);
    if shape.len() != 4 || !((to_last && !last) || (to_first && last)) {
        return Err(cx.unsupported(format!(
            "a transpose {perm:?}: `cnn!` permutes a map to channels-last (0, 2, 3, 1) and back (0, 3, 1, 2)"
        )));
    }
    let out: Vec<i64> = perm.iter().map(|&p| shape[p as usize]).collect();
    let call = Call::bare("permute")
        .pos(Arg::Int(perm[0]))
        .pos(Arg::Int(perm[1]))
        .pos(Arg::Int(perm[2]))
        .pos(Arg::Int(perm[3]));
    let v = cx.layer(call, Vec::new(), out)?;
    cx.net.channels_last[v] = to_last;
    Ok(())
}

/// `Gather` of a flat view with the indices `0, 1, …` laid out in the
/// original shape: the tensor itself.
pub(crate) fn gather(cx: &mut Cx<'_>) -> Result<(), Error> {
    let Val::Flat(x) = cx.val(0)?.clone() else {
        return nearest(cx);
    };
    let idx = cx.constant(1)?;
    let shape: Vec<i64> = cx.net.shapes[x].clone();
    let dims: Vec<i64> = idx.dims.iter().map(|&d| d as i64).collect();
    let in_order = fold::ints(idx)
        .iter()
        .enumerate()
        .all(|(i, &v)| v == i as i64);
    if cx.int("axis", 0) != 0 || dims != shape || !in_order {
        return Err(cx.unsupported("a gather that reorders elements"));
    }
    cx.set(0, Val::Dyn(x));
    Ok(())
}

/// `Gather` along a spatial axis with the indices `⌊i·n/m⌋`: PyTorch's
/// nearest resize of that axis to `m` (how `cnn!`'s own export writes
/// `upsample(size = …)`). A gather of the next axis of the same resize joins it.
fn nearest(cx: &mut Cx<'_>) -> Result<(), Error> {
    let x = cx.dynamic(0)?;
    let shape = cx.net.shapes[x].clone();
    let idx = fold::ints(cx.constant(1)?);
    let rank = shape.len() as i64;
    let axis = cx.int("axis", 0);
    let axis = if axis < 0 { axis + rank } else { axis };
    let (n, m) = (
        shape.get(axis as usize).copied().unwrap_or(0),
        idx.len() as i64,
    );
    let is_nearest = axis >= 2
        && m > 0
        && idx
            .iter()
            .enumerate()
            .all(|(i, &v)| v == (i as i64 * n / m).min(n - 1));
    if !is_nearest || cx.net.channels_last[x] {
        return Err(cx.unsupported("a gather that is not a nearest resize of one spatial axis"));
    }
    let mut out = shape.clone();
    out[axis as usize] = m;
    let size = out[2..].to_vec();
    // The previous axis's gather, read only here: one resize of both.
    let once = cx.uses.get(cx.node.inputs[0].as_str()) == Some(&1);
    if let Some(item) = cx.net.items.last_mut().filter(|i| once && i.outputs == [x])
        && let Kind::Layer(layer) = &mut item.kind
        && layer.call.name == "upsample"
        && layer.call.args.len() == 1
    {
        layer.call.args[0].1 = crate::ir::size(&size);
        cx.net.shapes[x] = out;
        cx.set(0, Val::Dyn(x));
        return Ok(());
    }
    let call = Call::bare("upsample").key("size", crate::ir::size(&size));
    cx.layer(call, Vec::new(), out).map(|_| ())
}
