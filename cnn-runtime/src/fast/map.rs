//! The fast path's activations: channels-last `f32` buffers (NHWC; NDHWC
//! for 3-D maps, a 1-D map being a 2-D one of height 1) from the running
//! network's pool, so that a forward pass in the steady state allocates
//! nothing but its output, and whose memory lives and dies with the
//! network; and the conversions to and from burn's NCHW tensors at the
//! edges of the fast path.

use burn::backend::Flex;
use burn::backend::flex::FlexTensor;
use burn::tensor::{DType, Device, Tensor, TensorData};
use cnn_kernels::layout;
use std::cell::RefCell;
use std::sync::{Arc, Mutex, PoisonError};

/// Buffers a pool keeps at most (a network's forward pass has far fewer
/// alive at once).
const POOL_SIZE: usize = 64;

/// Free buffers of one network.
#[derive(Debug, Default)]
pub struct Pool(Mutex<Vec<Storage>>);

/// A buffer's memory.
#[derive(Debug)]
struct Storage {
    data: Vec<f32>,
}

impl Storage {
    fn fresh(len: usize) -> Storage {
        Storage {
            data: vec![0.0; len],
        }
    }

    fn room(&self) -> usize {
        self.data.len()
    }
}

impl Pool {
    /// The smallest free buffer with room for `len` floats, so that large
    /// buffers stay for large maps.
    fn take(&self, len: usize) -> Option<Storage> {
        let mut free = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let best = (0..free.len())
            .filter(|&i| free[i].room() >= len)
            .min_by_key(|&i| free[i].room())?;
        Some(free.swap_remove(best))
    }

    fn give(&self, buffer: Storage) {
        let mut free = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        free.push(buffer);
        if free.len() > POOL_SIZE {
            let smallest = (0..free.len()).min_by_key(|&i| free[i].room()).unwrap_or(0);
            free.swap_remove(smallest);
        }
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        let free = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        free.iter().map(|b| b.data.capacity() * 4).sum()
    }
}

thread_local! {
    /// The pool of the network whose forward pass runs on this thread.
    static CURRENT: RefCell<Option<Arc<Pool>>> = const { RefCell::new(None) };
}

/// Makes `pool` the one maps on this thread come from, until dropped.
pub(crate) struct Current(Option<Arc<Pool>>);

impl Current {
    pub(crate) fn enter(pool: &Arc<Pool>) -> Current {
        Current(CURRENT.with_borrow_mut(|c| c.replace(Arc::clone(pool))))
    }
}

impl Drop for Current {
    fn drop(&mut self) {
        let before = self.0.take();
        CURRENT.with_borrow_mut(|c| *c = before);
    }
}

/// A buffer, back to its pool when dropped (freed if it has none: a map
/// made outside a network's forward pass).
struct Buffer {
    storage: Storage,
    home: Option<Arc<Pool>>,
}

impl Buffer {
    /// Room for `len` floats; what a reused buffer held is left in it.
    fn take(len: usize) -> Buffer {
        let home = CURRENT.try_with(|c| c.borrow().clone()).ok().flatten();
        let storage = home
            .as_ref()
            .and_then(|p| p.take(len))
            .unwrap_or_else(|| Storage::fresh(len));
        Buffer { storage, home }
    }

    fn values(&self, len: usize) -> &[f32] {
        &self.storage.data[..len]
    }

    fn values_mut(&mut self, len: usize) -> &mut [f32] {
        &mut self.storage.data[..len]
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        if let Some(home) = self.home.take() {
            home.give(std::mem::replace(
                &mut self.storage,
                Storage { data: Vec::new() },
            ));
        }
    }
}

/// What a [`Map`]'s rows are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `[n, d, h, w, c]`, channels last, of a map of `rank` spatial axes: a
    /// 2-D map has `d = 1`, a 1-D map `d = h = 1` (its length is `w`).
    Grid {
        /// Samples, depth, height, width, channels.
        dims: [usize; 5],
        /// Spatial axes: 1, 2 or 3.
        rank: usize,
    },
    /// `[n, f]` features; `chw` when they are a flattened `[c, h, w]` map
    /// held in `[h, w, c]` order (PyTorch's order is restored on leaving,
    /// and a `linear` layer packs its rows in this order; a 3-D map's
    /// depth and height are one axis here).
    Flat {
        /// Samples and features.
        dims: [usize; 2],
        /// The map they were flattened from, if its pixels are more than one.
        chw: Option<[usize; 3]>,
    },
}

impl Shape {
    /// A 2-D map `[n, h, w, c]`.
    pub fn nhwc([n, h, w, c]: [usize; 4]) -> Shape {
        Shape::Grid {
            dims: [n, 1, h, w, c],
            rank: 2,
        }
    }

    /// Floats held.
    pub fn len(&self) -> usize {
        match *self {
            Shape::Grid { dims, .. } => dims.iter().product(),
            Shape::Flat { dims: [n, f], .. } => n * f,
        }
    }

    /// Rows of channels (pixels over the batch, or samples) and channels per row.
    pub fn rows_and_channels(&self) -> (usize, usize) {
        match *self {
            Shape::Grid {
                dims: [n, d, h, w, c],
                ..
            } => (n * d * h * w, c),
            Shape::Flat { dims: [n, f], .. } => (n, f),
        }
    }

    /// The same rows with `c` channels each.
    pub fn with_channels(self, c: usize) -> Shape {
        match self {
            Shape::Grid {
                dims: [n, d, h, w, _],
                rank,
            } => Shape::Grid {
                dims: [n, d, h, w, c],
                rank,
            },
            Shape::Flat { dims: [n, _], .. } => Shape::Flat {
                dims: [n, c],
                chw: None,
            },
        }
    }
}

/// An activation on the fast path. Cloning shares the buffer.
#[derive(Clone)]
pub struct Map {
    buf: Arc<Buffer>,
    shape: Shape,
}

impl std::fmt::Debug for Map {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Map({:?})", self.shape)
    }
}

impl Map {
    /// A map of `shape` whose values the caller writes (they are not zeroed).
    pub fn uninit(shape: Shape) -> Map {
        Map {
            buf: Arc::new(Buffer::take(shape.len())),
            shape,
        }
    }

    /// Its shape.
    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// `[n, h, w, c]` of a 2-D map.
    ///
    /// # Panics
    /// If the map is not a 2-D one (the macro asks only of those).
    pub fn nhwc(&self) -> [usize; 4] {
        match self.shape {
            Shape::Grid {
                dims: [n, 1, h, w, c],
                rank: 2,
            } => [n, h, w, c],
            other => unreachable!("{other:?} where the plan expects a 2-D map"),
        }
    }

    /// `[n, d, h, w, c]` and the spatial rank.
    ///
    /// # Panics
    /// If the map was flattened (the macro never asks then).
    pub fn grid(&self) -> ([usize; 5], usize) {
        match self.shape {
            Shape::Grid { dims, rank } => (dims, rank),
            Shape::Flat { .. } => unreachable!("a flat map where the plan expects a grid"),
        }
    }

    /// The values.
    pub fn data(&self) -> &[f32] {
        self.buf.values(self.shape.len())
    }

    /// The values, to write: the buffer itself if this map is its only
    /// user, else a copy.
    pub fn data_mut(&mut self) -> &mut [f32] {
        let len = self.shape.len();
        if Arc::get_mut(&mut self.buf).is_none() {
            let mut copy = Buffer::take(len);
            copy.values_mut(len).copy_from_slice(self.buf.values(len));
            self.buf = Arc::new(copy);
        }
        match Arc::get_mut(&mut self.buf) {
            Some(buffer) => buffer.values_mut(len),
            None => unreachable!("a buffer just made unique"),
        }
    }

    /// The same values under another shape of the same length.
    pub fn reshaped(self, shape: Shape) -> Map {
        debug_assert_eq!(shape.len(), self.shape.len());
        Map {
            buf: self.buf,
            shape,
        }
    }

    /// A burn tensor on flex as a map: NC(D)(H)W transposed to channels
    /// last, or `[n, f]` as is.
    ///
    /// # Panics
    /// If the tensor is not an `f32` tensor on flex (check with [`super::runs_on`]).
    pub fn from_burn<const D: usize>(x: Tensor<D>) -> Map {
        let dims = x.dims();
        let flex = flex_f32(x).unwrap_or_else(|| panic!("a fast-path map from a tensor off flex"));
        let src = contiguous(&flex);
        let (n, c, [d, h, w], rank) = match dims[..] {
            [n, f] => {
                let mut map = Map::uninit(Shape::Flat {
                    dims: [n, f],
                    chw: None,
                });
                map.data_mut().copy_from_slice(src.values());
                return map;
            }
            [n, c, l] => (n, c, [1, 1, l], 1),
            [n, c, h, w] => (n, c, [1, h, w], 2),
            [n, c, d, h, w] => (n, c, [d, h, w], 3),
            _ => unreachable!("the fast path holds ranks 2 to 5 only"),
        };
        let mut map = Map::uninit(Shape::Grid {
            dims: [n, d, h, w, c],
            rank,
        });
        layout::nchw_to_nhwc(src.values(), [n, c, d * h, w], map.data_mut());
        map
    }

    /// The map as a burn tensor on flex: channels first, features in
    /// PyTorch's order.
    ///
    /// # Panics
    /// If `D` is not the map's rank (the macro knows it).
    pub fn into_burn<const D: usize>(self) -> Tensor<D> {
        let (values, dims): (Vec<f32>, Vec<usize>) = match self.shape {
            Shape::Grid {
                dims: [n, d, h, w, c],
                rank,
            } => {
                let mut out = vec![0.0; n * c * d * h * w];
                layout::nhwc_to_nchw(self.data(), [n, d * h, w, c], &mut out);
                let dims = match rank {
                    1 => vec![n, c, w],
                    2 => vec![n, c, h, w],
                    _ => vec![n, c, d, h, w],
                };
                (out, dims)
            }
            Shape::Flat {
                dims: [n, f],
                chw: Some([c, h, w]),
            } => {
                let mut out = vec![0.0; n * f];
                layout::nhwc_to_nchw(self.data(), [n, h, w, c], &mut out);
                (out, vec![n, f])
            }
            Shape::Flat {
                dims: [n, f],
                chw: None,
            } => (self.data().to_vec(), vec![n, f]),
        };
        assert_eq!(dims.len(), D, "a rank-{} map read as rank {D}", dims.len());
        Tensor::from_data(TensorData::new(values, dims), &Device::flex())
    }
}

/// The tensor's flex primitive, if it is an `f32` tensor on flex (not autodiff).
pub(crate) fn flex_f32<const D: usize>(x: Tensor<D>) -> Option<FlexTensor> {
    if x.dtype() != DType::F32 || !super::is_flex(&x.device()) {
        return None;
    }
    x.try_into_primitive::<Flex>().ok()
}

/// A layer's tensor as an `f32` flex primitive. A module made `valid()`
/// whose parameters were still lazy initialises them on the autodiff
/// device it was built on; at inference they are constants either way.
pub(crate) fn weight_f32<const D: usize>(t: Tensor<D>) -> Option<FlexTensor> {
    flex_f32(t.without_autodiff())
}

/// A tensor's values in row-major order: a view if they are already, else
/// a copy (a sliced or permuted tensor).
pub(crate) enum Values<'a> {
    View(&'a [f32]),
    Copy(FlexTensor),
}

impl Values<'_> {
    pub(crate) fn values(&self) -> &[f32] {
        match self {
            Values::View(v) => v,
            Values::Copy(t) => t.as_slice::<f32>().unwrap_or(&[]),
        }
    }
}

pub(crate) fn contiguous(t: &FlexTensor) -> Values<'_> {
    match t.as_slice::<f32>() {
        Some(view) => Values::View(view),
        None => Values::Copy(t.to_contiguous()),
    }
}
