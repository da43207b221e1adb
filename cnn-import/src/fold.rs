//! Constant folding: the shape arithmetic exporters leave in a graph
//! (`Shape`, `Gather`, `Unsqueeze`, `Concat`, `Cast`, `Slice`, arithmetic),
//! computed once at import time.

use crate::onnx::{Data, Tensor};

/// A constant's values as integers (floats truncated), with its dims.
pub fn ints(t: &Tensor) -> Vec<i64> {
    match &t.data {
        Data::Int(v) => v.to_vec(),
        Data::Float(v) => v.iter().map(|&x| x as i64).collect(),
    }
}

/// A constant's values as floats.
pub fn floats(t: &Tensor) -> Vec<f32> {
    match &t.data {
        Data::Int(v) => v.iter().map(|&x| x as f32).collect(),
        Data::Float(v) => v.to_vec(),
    }
}

/// How many values a constant holds.
pub fn numel(t: &Tensor) -> usize {
    match &t.data {
        Data::Int(v) => v.len(),
        Data::Float(v) => v.len(),
    }
}

/// An integer tensor of one axis.
pub fn int_vector(values: Vec<i64>) -> Tensor {
    Tensor {
        dims: vec![values.len()],
        data: Data::Int(values.into()),
        ..Tensor::default()
    }
}

/// The same values in new dims (which hold as many).
pub fn reshaped(t: &Tensor, dims: Vec<usize>) -> Tensor {
    Tensor {
        name: t.name.clone(),
        dims,
        data: t.data.clone(),
        external: None,
    }
}

/// Numpy broadcasting of two shapes, or `None` when they do not broadcast.
pub fn broadcast(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let rank = a.len().max(b.len());
    let at = |s: &[usize], i: usize| {
        if i + s.len() < rank {
            1
        } else {
            s[i + s.len() - rank]
        }
    };
    (0..rank)
        .map(|i| match (at(a, i), at(b, i)) {
            (x, y) if x == y => Some(x),
            (1, y) => Some(y),
            (x, 1) => Some(x),
            _ => None,
        })
        .collect()
}

/// `f(a, b)` element-wise with broadcasting; integers stay integers when
/// both are.
pub fn binary(
    a: &Tensor,
    b: &Tensor,
    fi: fn(i64, i64) -> Option<i64>,
    ff: fn(f32, f32) -> f32,
) -> Option<Tensor> {
    let dims = broadcast(&a.dims, &b.dims)?;
    let count: usize = dims.iter().product();
    let index = |t: &Tensor, flat: usize| {
        // The flat index into `t` of the broadcast position `flat`.
        let (mut rest, mut idx, mut stride) = (flat, 0, 1);
        for (axis, &d) in dims.iter().enumerate().rev() {
            let pos = rest % d.max(1);
            rest /= d.max(1);
            let offset = dims.len() - t.dims.len();
            if axis >= offset {
                let td = t.dims[axis - offset];
                if td != 1 {
                    idx += pos * stride;
                }
                stride *= td;
            }
        }
        idx
    };
    let data = match (&a.data, &b.data) {
        (Data::Int(x), Data::Int(y)) => Data::Int(
            (0..count)
                .map(|i| fi(x[index(a, i)], y[index(b, i)]))
                .collect::<Option<_>>()?,
        ),
        _ => {
            let (x, y) = (floats(a), floats(b));
            Data::Float(
                (0..count)
                    .map(|i| ff(x[index(a, i)], y[index(b, i)]))
                    .collect(),
            )
        }
    };
    Some(Tensor {
        dims,
        data,
        ..Tensor::default()
    })
}

/// `Gather` along `axis` with integer indices.
pub fn gather(data: &Tensor, indices: &Tensor, axis: usize) -> Option<Tensor> {
    let d = *data.dims.get(axis)?;
    let outer: usize = data.dims[..axis].iter().product();
    let inner: usize = data.dims[axis + 1..].iter().product();
    let idx: Vec<usize> = ints(indices)
        .into_iter()
        .map(|i| {
            usize::try_from(if i < 0 { i + d as i64 } else { i })
                .ok()
                .filter(|&i| i < d)
        })
        .collect::<Option<_>>()?;
    let pick = |values: &[i64]| {
        let mut out = Vec::with_capacity(outer * idx.len() * inner);
        for o in 0..outer {
            for &i in &idx {
                out.extend_from_slice(&values[(o * d + i) * inner..(o * d + i + 1) * inner]);
            }
        }
        out
    };
    let mut dims = data.dims[..axis].to_vec();
    dims.extend_from_slice(&indices.dims);
    dims.extend_from_slice(&data.dims[axis + 1..]);
    let data = match &data.data {
        Data::Int(v) => Data::Int(pick(v).into()),
        Data::Float(v) => {
            let bits: Vec<i64> = v.iter().map(|x| i64::from(x.to_bits())).collect();
            Data::Float(
                pick(&bits)
                    .into_iter()
                    .map(|b| f32::from_bits(b as u32))
                    .collect(),
            )
        }
    };
    Some(Tensor {
        dims,
        data,
        ..Tensor::default()
    })
}

/// `Slice` of a one-axis constant (the only slices shape arithmetic needs).
pub fn slice_vector(t: &Tensor, start: i64, end: i64, step: i64) -> Option<Tensor> {
    if t.dims.len() != 1 || step == 0 {
        return None;
    }
    let n = t.dims[0] as i64;
    let clampi = |i: i64, lo: i64, hi: i64| (if i < 0 { i + n } else { i }).clamp(lo, hi);
    let values = ints(t);
    let picked: Vec<i64> = if step > 0 {
        let (s, e) = (clampi(start, 0, n), clampi(end, 0, n));
        (s..e)
            .step_by(step as usize)
            .map(|i| values[i as usize])
            .collect()
    } else {
        let (s, e) = (clampi(start, -1, n - 1), clampi(end, -1, n - 1));
        let mut out = Vec::new();
        let mut i = s;
        while i > e {
            out.push(values[i as usize]);
            i += step;
        }
        out
    };
    Some(int_vector(picked))
}

/// Permutes a constant's axes.
pub fn transpose(t: &Tensor, perm: &[i64]) -> Option<Tensor> {
    let rank = t.dims.len();
    let perm: Vec<usize> = perm
        .iter()
        .map(|&p| usize::try_from(p).ok().filter(|&p| p < rank))
        .collect::<Option<_>>()?;
    let mut seen = vec![false; rank];
    if perm.len() != rank || perm.iter().any(|&p| std::mem::replace(&mut seen[p], true)) {
        return None;
    }
    let dims: Vec<usize> = perm.iter().map(|&p| t.dims[p]).collect();
    let mut strides = vec![1usize; rank];
    for i in (0..rank.saturating_sub(1)).rev() {
        strides[i] = strides[i + 1] * t.dims[i + 1];
    }
    let count: usize = dims.iter().product();
    let source = |flat: usize| {
        let (mut rest, mut at) = (flat, 0);
        for axis in (0..rank).rev() {
            at += (rest % dims[axis]) * strides[perm[axis]];
            rest /= dims[axis];
        }
        at
    };
    let data = match &t.data {
        Data::Float(v) => Data::Float((0..count).map(|i| v[source(i)]).collect::<Vec<_>>().into()),
        Data::Int(v) => Data::Int((0..count).map(|i| v[source(i)]).collect::<Vec<_>>().into()),
    };
    Some(Tensor {
        name: t.name.clone(),
        dims,
        data,
        external: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting_follows_numpy() {
        assert_eq!(
            broadcast(&[1, 64, 1, 1], &[64, 1, 1]),
            Some(vec![1, 64, 1, 1])
        );
        assert_eq!(broadcast(&[3], &[4]), None);
        let a = Tensor {
            dims: vec![2, 1],
            data: Data::Int(vec![1, 2].into()),
            ..Tensor::default()
        };
        let b = int_vector(vec![10, 20, 30]);
        let sum = binary(&a, &b, |x, y| x.checked_add(y), |x, y| x + y).expect("broadcasts");
        assert_eq!(sum.dims, [2, 3]);
        assert_eq!(sum.data, Data::Int(vec![11, 21, 31, 12, 22, 32].into()));
    }

    #[test]
    fn gather_and_slice_pick_shape_entries() {
        let shape = int_vector(vec![1, 64, 56, 48]);
        let hw = slice_vector(&shape, -2, i64::MAX, 1).expect("slices");
        assert_eq!(ints(&hw), [56, 48]);
        let c = gather(
            &shape,
            &Tensor {
                dims: vec![],
                data: Data::Int(vec![1].into()),
                ..Tensor::default()
            },
            0,
        );
        assert_eq!(c.map(|t| (ints(&t), t.dims)), Some((vec![64], vec![])));
    }
}
