//! The operators that become one `cnn!` layer each.

use crate::error::Error;
use crate::fold;
use crate::ir::{Arg, Call, Kind, Layer};
use crate::lower::{Cx, Val, dim, float_arg, float_tensor, per_axis};
use crate::onnx::{Data, Tensor};
use crate::scope;
use cnn_core::shape;

/// Lowers the current node, or says why it cannot be.
pub(crate) fn visit(cx: &mut Cx<'_>) -> Result<(), Error> {
    match cx.node.op.as_str() {
        "Conv" => conv(cx),
        "ConvTranspose" => conv_transpose(cx),
        "BatchNormalization" => batchnorm(cx),
        "MaxPool" | "AveragePool" => pool(cx),
        "GlobalAveragePool" | "GlobalMaxPool" => {
            let name = if cx.node.op == "GlobalMaxPool" {
                "adaptive_maxpool"
            } else {
                "adaptive_avgpool"
            };
            global(cx, name, true)
        }
        "ReduceMean" => reduce_mean(cx),
        "Flatten" => {
            let x = cx.dynamic(0)?;
            if cx.int("axis", 1) != 1 {
                return Err(cx.unsupported("flattening from an axis other than 1"));
            }
            flatten(cx, x)
        }
        "Reshape" => crate::reshape::reshape(cx),
        "Transpose" => crate::reshape::transpose(cx),
        "Gemm" => gemm(cx),
        "MatMul" => matmul(cx),
        "LayerNormalization" => layernorm(cx),
        "Resize" | "Upsample" => crate::resize::resize(cx),
        "Softmax" | "LogSoftmax" => {
            let x = cx.dynamic(0)?;
            let shape = cx.net.shapes[x].clone();
            let axis = cx.int("axis", -1);
            if !(axis == 1 || (axis == -1 && shape.len() == 2)) {
                return Err(cx.unsupported("a softmax over another axis than the channels"));
            }
            let name = if cx.node.op == "Softmax" {
                "softmax"
            } else {
                "log_softmax"
            };
            cx.layer(Call::bare(name), Vec::new(), shape).map(|_| ())
        }
        "Mish" | "Softsign" => {
            let x = cx.dynamic(0)?;
            let shape = cx.net.shapes[x].clone();
            let name = if cx.node.op == "Mish" {
                "mish"
            } else {
                "softsign"
            };
            cx.layer(Call::bare(name), Vec::new(), shape).map(|_| ())
        }
        "Gelu" => {
            let x = cx.dynamic(0)?;
            let shape = cx.net.shapes[x].clone();
            let mut call = Call::bare("gelu");
            if cx.string("approximate", "none") == "tanh" {
                call = call.key("approximate", Arg::Word("tanh".into()));
            }
            cx.layer(call, Vec::new(), shape).map(|_| ())
        }
        "PRelu" => {
            let x = cx.dynamic(0)?;
            let shape = cx.net.shapes[x].clone();
            let slope = cx.constant(1)?.clone();
            let n = fold::numel(&slope);
            let mut call = Call::bare("prelu");
            if n != 1 {
                call = call.key("num_parameters", Arg::Int(n as i64));
            }
            cx.layer(
                call,
                vec![(
                    "weight",
                    Tensor {
                        dims: vec![n],
                        ..float_tensor(&slope)
                    },
                )],
                shape,
            )
            .map(|_| ())
        }
        op => Err(cx.unsupported(format!("`{op}` has no `cnn!` layer"))),
    }
}

/// Per-axis attributes with their ONNX default, checked to be one per axis.
fn axes(cx: &Cx<'_>, name: &str, rank: usize, default: i64) -> Result<Vec<i64>, Error> {
    let v = cx.ints(name).unwrap_or_else(|| vec![default; rank]);
    if v.len() != rank {
        return Err(cx.unsupported(format!("`{name}` has {} entries for {rank} axes", v.len())));
    }
    Ok(v)
}

/// A convolution's padding: symmetric per axis, or `same` (PyTorch's rule:
/// stride 1, total `dilation·(kernel − 1)`, the odd element after).
fn conv_padding(
    cx: &Cx<'_>,
    rank: usize,
    k: &[i64],
    s: &[i64],
    d: &[i64],
) -> Result<(Arg, Vec<i64>), Error> {
    let p = cx.ints("pads").unwrap_or_else(|| vec![0; 2 * rank]);
    let same = cx.string("auto_pad", "NOTSET") == "NOTSET"
        && p.len() == 2 * rank
        && p[..rank] != p[rank..]
        && s.iter().all(|&s| s == 1)
        && (0..rank)
            .all(|i| shape::same_padding(u(k[i]), u(d[i])) == Ok((u(p[i]), u(p[rank + i]))));
    if same {
        return Ok((Arg::Word("same".into()), p));
    }
    let p = pads(cx, rank)?;
    Ok((per_axis(&p), [p.clone(), p].concat()))
}

/// Symmetric padding per axis; asymmetric padding has no `cnn!` form.
fn pads(cx: &Cx<'_>, rank: usize) -> Result<Vec<i64>, Error> {
    match cx.string("auto_pad", "NOTSET").as_str() {
        "NOTSET" | "VALID" => {}
        other => {
            return Err(cx.unsupported(format!(
                "`auto_pad = {other}`: export with explicit padding"
            )));
        }
    }
    let p = cx.ints("pads").unwrap_or_else(|| vec![0; 2 * rank]);
    if p.len() != 2 * rank || p[..rank] != p[rank..] {
        return Err(cx.unsupported(format!("padding {p:?} differs before and after an axis")));
    }
    Ok(p[..rank].to_vec())
}

/// A size from `cnn-shape`, the one place output sizes are computed (at
/// compile time, at run time, and here); its error names the node.
fn sized(cx: &Cx<'_>, size: Result<u64, shape::SizeError>) -> Result<i64, Error> {
    size.map(|n| n as i64)
        .map_err(|e| cx.unsupported(e.to_string()))
}

/// An attribute value as the unsigned size `cnn-shape` takes.
fn u(v: i64) -> u64 {
    v.max(0) as u64
}

fn conv(cx: &mut Cx<'_>) -> Result<(), Error> {
    let x = cx.dynamic(0)?;
    let w = cx.constant(1)?.clone();
    let b = cx.opt_const(2)?.cloned();
    let shape = cx.net.shapes[x].clone();
    let rank = w.dims.len().saturating_sub(2);
    if rank == 0 || rank + 2 != shape.len() || cx.net.channels_last[x] {
        return Err(cx.unsupported("a convolution whose weight does not match its input's rank"));
    }
    let groups = cx.int("group", 1);
    let (out, per_group) = (dim(&w, 0), dim(&w, 1));
    if per_group * groups != shape[1] {
        return Err(cx.unsupported(format!(
            "weight {:?} with {groups} groups on {} channels",
            w.dims, shape[1]
        )));
    }
    let k: Vec<i64> = w.dims[2..].iter().map(|&d| d as i64).collect();
    let (s, d) = (
        axes(cx, "strides", rank, 1)?,
        axes(cx, "dilations", rank, 1)?,
    );
    let (padding, p) = conv_padding(cx, rank, &k, &s, &d)?;
    let mut out_shape = vec![shape[0], out];
    for i in 0..rank {
        let pad = (u(p[i]), u(p[rank + i]));
        out_shape.push(sized(
            cx,
            shape::conv_out(u(shape[2 + i]), u(k[i]), u(s[i]), pad, u(d[i])),
        )?);
    }
    let mut call = Call::bare("conv")
        .pos(Arg::Int(shape[1]))
        .pos(Arg::Int(out))
        .pos(per_axis(&k));
    call = call
        .key_unless("stride", per_axis(&s), Arg::Int(1))
        .key_unless("padding", padding, Arg::Int(0))
        .key_unless("dilation", per_axis(&d), Arg::Int(1))
        .key_unless("groups", Arg::Int(groups), Arg::Int(1));
    let mut params = vec![("weight", float_tensor(&w))];
    match b {
        Some(b) => params.push(("bias", float_tensor(&b))),
        None => call = call.key("bias", Arg::Bool(false)),
    }
    cx.layer(call, params, out_shape).map(|_| ())
}

fn conv_transpose(cx: &mut Cx<'_>) -> Result<(), Error> {
    let x = cx.dynamic(0)?;
    let w = cx.constant(1)?.clone();
    let b = cx.opt_const(2)?.cloned();
    let shape = cx.net.shapes[x].clone();
    let rank = w.dims.len().saturating_sub(2);
    if rank == 0 || rank + 2 != shape.len() || cx.attr("output_shape").is_some() {
        return Err(cx.unsupported(
            "a transposed convolution with `output_shape` or a weight of another rank",
        ));
    }
    let groups = cx.int("group", 1);
    let (c_in, out) = (dim(&w, 0), dim(&w, 1) * groups);
    let k: Vec<i64> = w.dims[2..].iter().map(|&d| d as i64).collect();
    let (s, d, p) = (
        axes(cx, "strides", rank, 1)?,
        axes(cx, "dilations", rank, 1)?,
        pads(cx, rank)?,
    );
    let op = axes(cx, "output_padding", rank, 0)?;
    let mut out_shape = vec![shape[0], out];
    for i in 0..rank {
        let size = shape::conv_transpose_out(
            u(shape[2 + i]),
            u(k[i]),
            u(s[i]),
            u(p[i]),
            u(op[i]),
            u(d[i]),
        );
        out_shape.push(sized(cx, size)?);
    }
    let mut call = Call::bare("conv_transpose")
        .pos(Arg::Int(c_in))
        .pos(Arg::Int(out))
        .pos(per_axis(&k));
    call = call
        .key_unless("stride", per_axis(&s), Arg::Int(1))
        .key_unless("padding", per_axis(&p), Arg::Int(0))
        .key_unless("output_padding", per_axis(&op), Arg::Int(0))
        .key_unless("groups", Arg::Int(groups), Arg::Int(1))
        .key_unless("dilation", per_axis(&d), Arg::Int(1));
    let mut params = vec![("weight", float_tensor(&w))];
    match b {
        Some(b) => params.push(("bias", float_tensor(&b))),
        None => call = call.key("bias", Arg::Bool(false)),
    }
    cx.layer(call, params, out_shape).map(|_| ())
}

fn batchnorm(cx: &mut Cx<'_>) -> Result<(), Error> {
    let x = cx.dynamic(0)?;
    if cx.int("training_mode", 0) != 0 || cx.node.outputs.iter().skip(1).any(|o| !o.is_empty()) {
        return Err(
            cx.unsupported("batch normalization in training mode: export the model in eval mode")
        );
    }
    let shape = cx.net.shapes[x].clone();
    let names = ["weight", "bias", "running_mean", "running_var"];
    let mut params = Vec::new();
    for (i, name) in names.into_iter().enumerate() {
        params.push((name, float_tensor(cx.constant(i + 1)?)));
    }
    let call = Call::bare("batchnorm").pos(Arg::Int(shape[1])).key_unless(
        "eps",
        float_arg(cx.float("epsilon", 1e-5)),
        Arg::Float(1e-5),
    );
    cx.layer(call, params, shape).map(|_| ())
}

fn pool(cx: &mut Cx<'_>) -> Result<(), Error> {
    let x = cx.dynamic(0)?;
    let shape = cx.net.shapes[x].clone();
    let rank = shape.len().saturating_sub(2);
    let Some(k) = cx.ints("kernel_shape").filter(|k| k.len() == rank) else {
        return Err(cx.unsupported("a pool without a kernel per axis"));
    };
    let max = cx.node.op == "MaxPool";
    let s = axes(cx, "strides", rank, 1)?;
    let d = if max {
        axes(cx, "dilations", rank, 1)?
    } else {
        vec![1; rank]
    };
    let (p, ceil) = match ceil_as_padding(cx, max, rank, &shape, &k, &s, &d) {
        Some(p) => (p, true),
        None => (pads(cx, rank)?, cx.int("ceil_mode", 0) != 0),
    };
    if cx.node.outputs.len() > 1 && !cx.node.outputs[1].is_empty() {
        return Err(cx.unsupported("a max pool's indices output"));
    }
    let mut out_shape = shape[..2].to_vec();
    for i in 0..rank {
        let size = shape::pool_out(u(shape[2 + i]), u(k[i]), u(s[i]), u(p[i]), u(d[i]), ceil);
        out_shape.push(sized(cx, size)?);
    }
    let mut call = Call::bare(if max { "maxpool" } else { "avgpool" }).pos(per_axis(&k));
    call = call
        .key_unless("stride", per_axis(&s), per_axis(&k))
        .key_unless("padding", per_axis(&p), Arg::Int(0))
        .key_unless("dilation", per_axis(&d), Arg::Int(1))
        .key_unless("ceil_mode", Arg::Bool(ceil), Arg::Bool(false));
    let pads_matter = p.iter().any(|&p| p > 0) || ceil;
    if !max && cx.int("count_include_pad", 0) == 0 && pads_matter {
        call = call.key("count_include_pad", Arg::Bool(false));
    }
    cx.layer(call, Vec::new(), out_shape).map(|_| ())
}

/// A max pool whose extra padding at the end stands for PyTorch's ceil mode
/// (how `cnn!`'s own export writes it): the symmetric padding, when the
/// outputs agree on every axis.
fn ceil_as_padding(
    cx: &Cx<'_>,
    max: bool,
    rank: usize,
    shape: &[i64],
    k: &[i64],
    s: &[i64],
    d: &[i64],
) -> Option<Vec<i64>> {
    let p = cx.ints("pads")?;
    if !max || cx.int("ceil_mode", 0) != 0 || p.len() != 2 * rank || p[..rank] == p[rank..] {
        return None;
    }
    let agrees = (0..rank).all(|i| {
        let (begin, end) = (p[i], p[rank + i]);
        let (n, k, s, d) = (u(shape[2 + i]), u(k[i]), u(s[i]), u(d[i]));
        let floor = shape::conv_out(n, k, s, (u(begin), u(end)), d);
        end >= begin && floor.is_ok() && floor == shape::pool_out(n, k, s, u(begin), d, true)
    });
    agrees.then(|| p[..rank].to_vec())
}

fn global(cx: &mut Cx<'_>, name: &'static str, keep: bool) -> Result<(), Error> {
    let x = cx.dynamic(0)?;
    let shape = cx.net.shapes[x].clone();
    if shape.len() < 3 || cx.net.channels_last[x] {
        return Err(cx.unsupported("a global pool of a tensor that is not a channels-first map"));
    }
    let mut out = shape[..2].to_vec();
    out.extend(std::iter::repeat_n(1, shape.len() - 2));
    let pooled = cx.layer(Call::bare(name).pos(Arg::Int(1)), Vec::new(), out)?;
    if !keep {
        flatten(cx, pooled)?;
    }
    Ok(())
}

fn reduce_mean(cx: &mut Cx<'_>) -> Result<(), Error> {
    let x = cx.dynamic(0)?;
    let rank = cx.net.shapes[x].len() as i64;
    let axes = match cx.opt_const(1)? {
        Some(t) => fold::ints(t),
        None => cx.ints("axes").unwrap_or_default(),
    };
    let mut axes: Vec<i64> = axes
        .into_iter()
        .map(|a| if a < 0 { a + rank } else { a })
        .collect();
    axes.sort_unstable();
    if axes != (2..rank).collect::<Vec<_>>() {
        return Err(cx.unsupported(format!(
            "a mean over axes {axes:?}: `cnn!` averages the spatial axes (adaptive_avgpool(1))"
        )));
    }
    global(cx, "adaptive_avgpool", cx.int("keepdims", 1) != 0)
}

/// `flatten` of `x` as the current node's output.
pub(crate) fn flatten(cx: &mut Cx<'_>, x: usize) -> Result<(), Error> {
    let shape = cx.net.shapes[x].clone();
    if cx.net.channels_last[x] {
        return Err(cx.unsupported("flattening a channels-last map"));
    }
    let out = vec![shape[0], shape[1..].iter().product()];
    let scope = scope::of_node(cx.node);
    let v = cx.new_value(out, false);
    cx.net.items.push(crate::ir::Item {
        kind: Kind::Layer(Layer {
            call: Call::bare("flatten"),
            params: Vec::new(),
        }),
        inputs: vec![x],
        outputs: vec![v],
        scope,
    });
    cx.set(0, Val::Dyn(v));
    Ok(())
}

fn gemm(cx: &mut Cx<'_>) -> Result<(), Error> {
    let x = cx.dynamic(0)?;
    let w = cx.constant(1)?.clone();
    let c = cx.opt_const(2)?.cloned();
    let ok =
        cx.int("transA", 0) == 0 && cx.float("alpha", 1.0) == 1.0 && cx.float("beta", 1.0) == 1.0;
    if !ok || w.dims.len() != 2 {
        return Err(cx.unsupported(
            "a `Gemm` with `transA`, `alpha` or `beta`: `cnn!`'s linear is x·Wᵀ + b",
        ));
    }
    let w = if cx.int("transB", 0) != 0 {
        w
    } else {
        fold::transpose(&w, &[1, 0]).unwrap_or(w)
    };
    linear(cx, x, w, c)
}

fn matmul(cx: &mut Cx<'_>) -> Result<(), Error> {
    let x = cx.dynamic(0)?;
    let w = cx.constant(1)?.clone();
    if w.dims.len() != 2 {
        return Err(cx.unsupported("a product with a constant of other than two axes"));
    }
    let wt = fold::transpose(&w, &[1, 0]).unwrap_or(w);
    linear(cx, x, wt, None)
}

/// `linear(in, out)` on the last axis: flat features or a channels-last map.
fn linear(cx: &mut Cx<'_>, x: usize, w: Tensor, b: Option<Tensor>) -> Result<(), Error> {
    let shape = cx.net.shapes[x].clone();
    let (out, n) = (dim(&w, 0), dim(&w, 1));
    if shape.last() != Some(&n) || !(shape.len() == 2 || cx.net.channels_last[x]) {
        return Err(cx.unsupported(format!(
            "a linear layer of {n} inputs on a tensor {shape:?}"
        )));
    }
    let mut out_shape = shape.clone();
    *out_shape.last_mut().unwrap_or(&mut 0) = out;
    let mut call = Call::bare("linear").pos(Arg::Int(n)).pos(Arg::Int(out));
    let mut params = vec![("weight", float_tensor(&w))];
    match b {
        Some(b) if fold::numel(&b) == out as usize => {
            params.push((
                "bias",
                Tensor {
                    dims: vec![out as usize],
                    ..float_tensor(&b)
                },
            ));
        }
        Some(_) => return Err(cx.unsupported("a bias of another size than the outputs")),
        None => call = call.key("bias", Arg::Bool(false)),
    }
    cx.layer(call, params, out_shape).map(|_| ())
}

fn layernorm(cx: &mut Cx<'_>) -> Result<(), Error> {
    let x = cx.dynamic(0)?;
    let shape = cx.net.shapes[x].clone();
    let axis = cx.int("axis", -1);
    if !(axis == -1 || axis == shape.len() as i64 - 1)
        || !(shape.len() == 2 || cx.net.channels_last[x])
    {
        return Err(cx.unsupported("a layer normalization over other than the last axis of flat features or a channels-last map"));
    }
    let n = *shape.last().unwrap_or(&0);
    let mut call = Call::bare("layernorm").pos(Arg::Int(n));
    call = call.key_unless(
        "eps",
        float_arg(cx.float("epsilon", 1e-5)),
        Arg::Float(1e-5),
    );
    let mut params = vec![("weight", float_tensor(cx.constant(1)?))];
    match cx.opt_const(2)? {
        Some(b) => params.push(("bias", float_tensor(b))),
        None => call = call.key("bias", Arg::Bool(false)),
    }
    cx.layer(call, params, shape).map(|_| ())
}

/// A zero-dimensional `int64` tensor: batchnorm's `num_batches_tracked`.
pub fn counter() -> Tensor {
    Tensor {
        dims: vec![],
        data: Data::Int(vec![0].into()),
        ..Tensor::default()
    }
}
