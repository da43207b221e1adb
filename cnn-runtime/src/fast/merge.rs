//! The merges of the fast path (`concat`, `multiply`, `split`), on
//! channels-last maps of any rank: a concatenation copies each part into its channels of each pixel,
//! a split branch copies its share of them, a gate multiplies in place,
//! broadcasting a branch of one pixel over the pixels.

use super::map::{Map, Shape};
use cnn_kernels::{Channels, eltwise};

/// `concat`: the parts' channels side by side.
pub fn concat(parts: Vec<Map>) -> Map {
    let (rows, _) = parts[0].shape().rows_and_channels();
    let channels: usize = parts.iter().map(|p| p.shape().rows_and_channels().1).sum();
    let mut y = Map::uninit(parts[0].shape().with_channels(channels));
    let mut offset = 0;
    for part in &parts {
        let c = part.shape().rows_and_channels().1;
        assert_eq!(
            part.shape().with_channels(channels),
            y.shape(),
            "concatenated maps of other sizes"
        );
        let dst = Channels {
            stride: channels,
            offset,
        };
        eltwise::copy_channels(part.data(), Channels::all(c), c, y.data_mut(), dst, rows);
        offset += c;
    }
    y
}

/// Branch `i`'s input of a `split` into `k`: channels `i·C/k ..
/// (i+1)·C/k` of every pixel (the macro checked that `k` divides `C`).
pub fn split_part(x: &Map, i: usize, k: usize) -> Map {
    let (rows, c) = x.shape().rows_and_channels();
    let part = c / k;
    let mut y = Map::uninit(x.shape().with_channels(part));
    let src = Channels {
        stride: c,
        offset: i * part,
    };
    eltwise::copy_channels(x.data(), src, part, y.data_mut(), Channels::all(part), rows);
    y
}

/// The product of a `multiply`'s branches; a 1×1 branch scales every pixel
/// of the others (the macro checked the channels and sizes).
pub fn multiply(parts: Vec<Map>) -> Map {
    let mut parts = parts.into_iter();
    let first = parts.next().expect("a gate has at least two branches");
    parts.fold(first, times)
}

fn times(a: Map, b: Map) -> Map {
    if a.shape() == b.shape() {
        let mut a = a;
        for (x, g) in a.data_mut().iter_mut().zip(b.data()) {
            *x *= g;
        }
        return a;
    }
    let pixels = |m: &Map| {
        let ([_, d, h, w, _], _) = m.grid();
        d * h * w
    };
    let (mut big, small) = if pixels(&b) == 1 { (a, b) } else { (b, a) };
    let ([n, d, h, w, c], rank) = big.grid();
    assert_eq!(
        small.shape(),
        Shape::Grid {
            dims: [n, 1, 1, 1, c],
            rank
        },
        "a gate's branches of shapes {:?} and {:?}",
        big.shape(),
        small.shape()
    );
    let gates = small.data();
    for (image, gate) in big
        .data_mut()
        .chunks_mut(d * h * w * c)
        .zip(gates.chunks(c))
    {
        for pixel in image.chunks_mut(c) {
            for (x, g) in pixel.iter_mut().zip(gate) {
                *x *= g;
            }
        }
    }
    big
}
