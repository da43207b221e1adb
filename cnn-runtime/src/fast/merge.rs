//! The merges of the fast path (`concat`, `multiply`, `split`), on NHWC
//! maps: a concatenation copies each part into its channels of each pixel,
//! a split branch copies its share of them, a gate multiplies in place,
//! broadcasting a 1×1 branch over the pixels.

use super::map::{Map, Shape};
use cnn_kernels::{Channels, eltwise};

/// `concat`: the parts' channels side by side.
pub fn concat(parts: Vec<Map>) -> Map {
    let [n, h, w, _] = parts[0].nhwc();
    let channels: usize = parts.iter().map(|p| p.nhwc()[3]).sum();
    let mut y = Map::uninit(Shape::Nhwc([n, h, w, channels]));
    let mut offset = 0;
    for part in &parts {
        let [pn, ph, pw, c] = part.nhwc();
        assert_eq!([pn, ph, pw], [n, h, w], "concatenated maps of other sizes");
        let dst = Channels {
            stride: channels,
            offset,
        };
        eltwise::copy_channels(
            part.data(),
            Channels::all(c),
            c,
            y.data_mut(),
            dst,
            n * h * w,
        );
        offset += c;
    }
    y
}

/// Branch `i`'s input of a `split` into `k`: channels `i·C/k ..
/// (i+1)·C/k` of every pixel (the macro checked that `k` divides `C`).
pub fn split_part(x: &Map, i: usize, k: usize) -> Map {
    let [n, h, w, c] = x.nhwc();
    let part = c / k;
    let mut y = Map::uninit(Shape::Nhwc([n, h, w, part]));
    let src = Channels {
        stride: c,
        offset: i * part,
    };
    eltwise::copy_channels(
        x.data(),
        src,
        part,
        y.data_mut(),
        Channels::all(part),
        n * h * w,
    );
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
    let (da, db) = (a.nhwc(), b.nhwc());
    if da == db {
        let mut a = a;
        for (x, g) in a.data_mut().iter_mut().zip(b.data()) {
            *x *= g;
        }
        return a;
    }
    let (mut big, small) = if db[1] * db[2] == 1 { (a, b) } else { (b, a) };
    let [n, h, w, c] = big.nhwc();
    assert_eq!(
        small.nhwc(),
        [n, 1, 1, c],
        "a gate's branches of sizes {:?} and {:?}",
        big.nhwc(),
        small.nhwc()
    );
    let gates = small.data();
    for (image, gate) in big.data_mut().chunks_mut(h * w * c).zip(gates.chunks(c)) {
        for pixel in image.chunks_mut(c) {
            for (x, g) in pixel.iter_mut().zip(gate) {
                *x *= g;
            }
        }
    }
    big
}
