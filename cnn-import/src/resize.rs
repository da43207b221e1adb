//! `Resize` → `upsample`: PyTorch's `nearest` (asymmetric coordinates,
//! rounding down) and (bi/tri)linear with or without `align_corners`; a scale
//! factor, a fixed size, or the size of the network's input (`like = input`).

use crate::error::Error;
use crate::fold;
use crate::ir::{Arg, Call};
use crate::lower::{Cx, float_arg, per_axis};

pub(crate) fn resize(cx: &mut Cx<'_>) -> Result<(), Error> {
    let x = cx.dynamic(0)?;
    let shape = cx.net.shapes[x].clone();
    let rank = shape.len().saturating_sub(2);
    if rank == 0 || cx.net.channels_last[x] {
        return Err(cx.unsupported("a resize of a tensor that is not a channels-first map"));
    }
    let mode = cx.string("mode", "nearest");
    let coords = cx.string("coordinate_transformation_mode", "half_pixel");
    let mut call = Call::bare("upsample");
    let (scales, sizes) = if cx.node.op == "Upsample" || cx.opset < 11 {
        (cx.opt_const(1)?.map(fold::floats), None)
    } else {
        let scales = cx.opt_const(2)?.map(fold::floats).filter(|s| !s.is_empty());
        let sizes = cx.opt_const(3)?.map(fold::ints);
        (scales, sizes)
    };
    let out: Vec<i64> = match (&scales, &sizes) {
        (Some(s), _) if s.len() == shape.len() && s[0] == 1.0 && s[1] == 1.0 => {
            let f = &s[2..];
            let out = shape[2..].iter().zip(f).map(|(&n, &f)| (n as f64 * f64::from(f)).floor() as i64).collect();
            if f.iter().all(|&v| v == f[0]) {
                call = call.key("scale_factor", float_arg(f[0]));
            } else {
                return Err(cx.unsupported("a resize by a different factor per axis"));
            }
            out
        }
        (_, Some(s)) if s.len() == shape.len() && s[..2] == shape[..2] => {
            let size = s[2..].to_vec();
            let input = cx.net.input;
            if cx.net.shapes[input][2..] == size[..] {
                call = call.key("like", Arg::Word("input".into()));
                cx.net.notes.push("a resize to the input's size became `upsample(like = input)`".into());
            } else {
                call = call.key("size", per_axis(&size));
            }
            size
        }
        _ => return Err(cx.unsupported("a resize whose scale or size is computed at run time, or that resizes the batch or channels")),
    };
    match (mode.as_str(), coords.as_str()) {
        ("nearest", "asymmetric") if cx.string("nearest_mode", "round_prefer_floor") == "floor" => {
        }
        ("nearest", _) if cx.node.op == "Upsample" || cx.opset < 11 => {}
        ("linear", "half_pixel" | "pytorch_half_pixel" | "align_corners") => {
            let name = ["linear", "bilinear", "trilinear"][rank.min(3) - 1];
            call = call.key("mode", Arg::Word(name.into()));
            if coords == "align_corners" {
                call = call.key("align_corners", Arg::Bool(true));
            }
        }
        _ => {
            return Err(cx.unsupported(format!(
                "`mode = {mode}` with `coordinate_transformation_mode = {coords}`: `cnn!` upsamples as PyTorch's nearest or (bi)linear"
            )));
        }
    }
    let mut out_shape = shape[..2].to_vec();
    out_shape.extend(out);
    cx.layer(call, Vec::new(), out_shape).map(|_| ())
}
