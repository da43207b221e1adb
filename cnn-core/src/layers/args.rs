//! Typed arguments: a bound layer's values as what the kind reads (an
//! integer, per-axis numbers over `[D, H, W]`, a pad's sides, …), every
//! default filled in from its schema.

use super::schema::{Bound, DefaultValue};
use super::values::Val;
use crate::shape::Axes;

/// The arguments of a bound layer as typed values: what was written, else the
/// schema's default. A getter returns `None` for a name the schema lacks or a
/// value of another type, which the kind's `build` turns into an internal
/// error (its tests catch a misspelt name at once), never a silent default.
#[derive(Clone, Copy)]
pub struct Args<'a> {
    bound: &'a Bound,
}

impl<'a> Args<'a> {
    /// The typed arguments of `bound`.
    pub(super) fn of(bound: &'a Bound) -> Args<'a> {
        Args { bound }
    }

    /// The value, written or default; `Some(None)` for an absent optional one.
    pub fn val(&self, name: &str) -> Option<Option<Val>> {
        let param = self.bound.spec.params.iter().find(|p| p.name == name)?;
        Some(match (self.bound.get(name), param.default) {
            (Some(arg), _) => Some(arg.val),
            (None, DefaultValue::Is(v)) => Some(v),
            (None, DefaultValue::Absent | DefaultValue::Required) => None,
        })
    }

    /// Whether the value differs from the schema's default (for the PyTorch twin).
    pub fn changed(&self, name: &str) -> bool {
        let default = self
            .bound
            .spec
            .params
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.default);
        match (self.bound.get(name), default) {
            (Some(arg), Some(DefaultValue::Is(d))) => !same(arg.val, d),
            (Some(_), _) => true,
            (None, _) => false,
        }
    }

    /// An integer.
    pub fn int(&self, name: &str) -> Option<u64> {
        match self.val(name)?? {
            Val::Int(n) => Some(n),
            _ => None,
        }
    }

    /// The spatial rank of the network's maps.
    pub fn rank(&self) -> usize {
        self.bound.rank
    }

    /// An integer (for every axis) or one per axis, over the three axes
    /// `[D, H, W]`; the axes the map lacks hold `neutral` (1 for a kernel,
    /// a stride or a dilation, 0 for a padding).
    pub fn axes(&self, name: &str, neutral: u64) -> Option<Axes> {
        self.opt_axes(name, neutral)?
    }

    /// An optional [`Args::axes`]: `Some(None)` when absent.
    pub fn opt_axes(&self, name: &str, neutral: u64) -> Option<Option<Axes>> {
        let first = 3 - self.rank();
        let mut axes = [neutral; 3];
        match self.val(name)? {
            None => return Some(None),
            Some(Val::Int(n)) => axes[first..].fill(n),
            Some(Val::Ints(t)) if t.get().len() == self.rank() => {
                axes[first..].copy_from_slice(t.get())
            }
            Some(_) => return None,
        }
        Some(Some(axes))
    }

    /// One number per channel; `Some(None)` when absent.
    pub fn numbers(&self, name: &str) -> Option<Option<&'static [f64]>> {
        Some(match self.val(name)? {
            None => None,
            Some(Val::Numbers(xs)) => Some(xs),
            Some(_) => return None,
        })
    }

    /// An integer (every side) or two sides per axis, as
    /// `[left, right, top, bottom, front, back]`, 0 on the axes the map lacks.
    pub fn sides(&self, name: &str) -> Option<[u64; 6]> {
        let mut sides = [0; 6];
        let count = 2 * self.rank();
        match self.val(name)?? {
            Val::Int(n) => sides[..count].fill(n),
            Val::Ints(t) if t.get().len() == count => sides[..count].copy_from_slice(t.get()),
            _ => return None,
        }
        Some(sides)
    }

    /// A boolean.
    pub fn bool(&self, name: &str) -> Option<bool> {
        self.opt_bool(name)?
    }

    /// An optional boolean: `Some(None)` when absent.
    pub fn opt_bool(&self, name: &str) -> Option<Option<bool>> {
        Some(match self.val(name)? {
            None => None,
            Some(Val::Bool(b)) => Some(b),
            Some(_) => return None,
        })
    }

    /// A number.
    pub fn num(&self, name: &str) -> Option<f64> {
        match self.val(name)?? {
            Val::Num(x) => Some(x),
            _ => None,
        }
    }

    /// An optional number (for every axis) or one per axis, over `[D, H,
    /// W]` with 1 on the axes the map lacks: `Some(None)` when absent.
    pub fn opt_scales(&self, name: &str) -> Option<Option<[f64; 3]>> {
        let first = 3 - self.rank();
        let mut scales = [1.0; 3];
        match self.val(name)? {
            None => return Some(None),
            Some(Val::Num(x)) => scales[first..].fill(x),
            Some(Val::Nums(t)) if t.get().len() == self.rank() => {
                scales[first..].copy_from_slice(t.get())
            }
            Some(_) => return None,
        }
        Some(Some(scales))
    }

    /// A word (`same`, `bilinear`, …), or `None` if the value is not one.
    pub fn word(&self, name: &str) -> Option<&'static str> {
        match self.val(name)?? {
            Val::Word(w) => Some(w),
            _ => None,
        }
    }
}

/// Value equality where an integer `n` and the tuple `(n, n)` are the same size.
fn same(a: Val, b: Val) -> bool {
    match (a, b) {
        (Val::Int(n), Val::Ints(t)) | (Val::Ints(t), Val::Int(n)) => {
            t.get().iter().all(|&v| v == n)
        }
        (Val::Num(x), Val::Nums(t)) | (Val::Nums(t), Val::Num(x)) => {
            t.get().iter().all(|&v| v == x)
        }
        _ => a == b,
    }
}
