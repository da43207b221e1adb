//! Packed weights, kept with the module that owns them. Each packed layer
//! of a generated struct has a [`Slot`]; a slot's entry remembers the
//! tensors it was packed from and holds a reference to each, so that while
//! it lives their buffers can be neither freed nor changed in place (flex
//! copies a shared buffer before writing to it). A forward pass whose
//! weights are the same buffers reuses the entry; after loading, a training
//! step or any other change the weights are new buffers, and the layer is
//! packed again. A module never run on flex never packs anything.

use super::map::Pool;
use burn::backend::flex::FlexTensor;
use cnn_kernels::PackedGemm;
use cnn_kernels::depthwise::PackedDepthwise;
use cnn_kernels::winograd::PackedWinograd;
use std::sync::{Arc, Mutex, PoisonError};

/// What a layer's weights became.
#[derive(Debug)]
pub enum Packed {
    /// A convolution or linear layer for the GEMM kernels.
    Gemm(PackedGemm),
    /// A depthwise convolution.
    Depthwise(PackedDepthwise),
    /// A 3×3 convolution's weights transformed for Winograd's F(2×2, 3×3).
    Winograd(PackedWinograd),
    /// A batchnorm as a per-channel scale and shift.
    Affine {
        /// `γ / √(var + ε)`.
        scale: Vec<f32>,
        /// `β − mean · scale`.
        shift: Vec<f32>,
    },
}

impl Packed {
    fn bytes(&self) -> usize {
        match self {
            Packed::Gemm(p) => p.bytes(),
            Packed::Depthwise(p) => p.bytes(),
            Packed::Winograd(p) => p.bytes(),
            Packed::Affine { scale, shift } => (scale.capacity() + shift.capacity()) * 4,
        }
    }
}

/// Tensors a layer packs at most: a convolution's weight and bias and a
/// batchnorm's four.
const KEY_TENSORS: usize = 6;

/// The tensors an entry was packed from, and what else it depends on.
/// Fixed-size, so that checking a layer's entry allocates nothing.
#[derive(Debug)]
pub(crate) struct Key {
    tensors: [Option<FlexTensor>; KEY_TENSORS],
    /// A linear layer's input order (the flattened map's `[c, h, w]`).
    chw: Option<[usize; 3]>,
    /// The bits of a folded batchnorm's `ε`, which is no tensor.
    epsilon: Option<u64>,
}

impl Key {
    /// The key of `tensors` (at most six).
    pub(crate) fn new(
        tensors: impl IntoIterator<Item = FlexTensor>,
        chw: Option<[usize; 3]>,
    ) -> Key {
        let mut key = Key {
            tensors: Default::default(),
            chw,
            epsilon: None,
        };
        for (place, tensor) in key.tensors.iter_mut().zip(tensors) {
            *place = Some(tensor);
        }
        key
    }

    /// The key of a layer that folds a batchnorm of this `ε`.
    pub(crate) fn with_epsilon(mut self, epsilon: f64) -> Key {
        self.epsilon = Some(epsilon.to_bits());
        self
    }

    fn same(&self, other: &Key) -> bool {
        self.chw == other.chw
            && self.epsilon == other.epsilon
            && self
                .tensors
                .iter()
                .zip(&other.tensors)
                .all(|(a, b)| match (a, b) {
                    (Some(a), Some(b)) => {
                        std::ptr::eq(a.bytes().as_ptr(), b.bytes().as_ptr())
                            && a.layout() == b.layout()
                    }
                    (None, None) => true,
                    _ => false,
                })
    }
}

#[derive(Debug)]
pub(crate) struct Entry {
    key: Key,
    pub packed: Packed,
}

/// One packed layer's place.
#[derive(Debug, Default)]
pub struct Slot(Mutex<Option<Arc<Entry>>>);

impl Slot {
    /// The entry for these tensors: the last one if it was packed from the
    /// same buffers, else `pack()`'s.
    pub(crate) fn get(&self, key: Key, pack: impl FnOnce() -> Packed) -> Arc<Entry> {
        let mut entry = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(e) = entry.as_ref().filter(|e| e.key.same(&key)) {
            return Arc::clone(e);
        }
        let fresh = Arc::new(Entry {
            key,
            packed: pack(),
        });
        *entry = Some(Arc::clone(&fresh));
        fresh
    }

    fn snapshot(&self) -> Option<Arc<Entry>> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// The packed layers of one generated struct (a network, block or group),
/// in a field the derive skips: it is not a parameter, not saved, not
/// moved between devices. A clone starts with the same entries, which stay
/// valid exactly as long as its weights are the same tensors.
pub struct Kernels {
    slots: Box<[Slot]>,
    /// The buffers of this network's forward passes (used on a network's
    /// own `Kernels`; a block's stays empty).
    pool: Arc<Pool>,
}

impl Kernels {
    /// `n` empty slots.
    pub fn new(n: usize) -> Kernels {
        Kernels {
            slots: (0..n).map(|_| Slot::default()).collect(),
            pool: Arc::default(),
        }
    }

    /// The pool of activation buffers.
    pub(crate) fn pool(&self) -> &Arc<Pool> {
        &self.pool
    }

    /// Slot `i` (the macro numbers them).
    pub fn slot(&self, i: usize) -> &Slot {
        &self.slots[i]
    }

    /// Bytes of free activation buffers kept for the next forward pass.
    pub fn buffer_bytes(&self) -> usize {
        self.pool.bytes()
    }

    /// Bytes of the packed weights held now.
    pub fn bytes(&self) -> usize {
        self.slots
            .iter()
            .filter_map(Slot::snapshot)
            .map(|e| e.packed.bytes())
            .sum()
    }

    /// Slots holding packed weights now.
    pub fn packed(&self) -> usize {
        self.slots.iter().filter(|s| s.snapshot().is_some()).count()
    }
}

impl Kernels {
    /// The same slots, empty; the activation buffers kept.
    pub(crate) fn emptied(self) -> Kernels {
        Kernels {
            slots: (0..self.slots.len()).map(|_| Slot::default()).collect(),
            pool: self.pool,
        }
    }
}

impl Clone for Kernels {
    fn clone(&self) -> Self {
        Kernels {
            slots: self
                .slots
                .iter()
                .map(|s| Slot(Mutex::new(s.snapshot())))
                .collect(),
            // Buffers are not shared: a clone may run on another thread.
            pool: Arc::default(),
        }
    }
}

impl std::fmt::Debug for Kernels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Kernels {{ packed: {} of {}, bytes: {} }}",
            self.packed(),
            self.slots.len(),
            self.bytes()
        )
    }
}
