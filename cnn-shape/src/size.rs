//! The spatial size of a feature map, of rank 1 (`L`), 2 (`H, W`) or 3
//! (`D, H, W`).
//!
//! Every rule computes on three axes, `[D, H, W]`: a map of lower rank has
//! its missing leading axes of size 1, and a layer on it has kernel 1,
//! stride 1, dilation 1 and padding 0 there, so each formula leaves them at 1
//! and adds nothing to a parameter or MAC count (a factor of 1). The rank
//! only decides what is shown: `[64, 8000]`, `[64, 28, 28]`, `[64, 16, 56, 56]`,
//! and the axes an error names.

use std::fmt;

/// Per-axis numbers of a layer over `[D, H, W]` (kernel, stride, padding,
/// …): the axes a map of lower rank lacks hold the neutral value.
pub type Axes = [u64; 3];

/// The spatial size of a feature map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Size {
    rank: u8,
    all: Axes,
}

impl Size {
    /// The size of `sizes.len()` axes (1 to 3), in PyTorch's order.
    pub fn new(sizes: &[u64]) -> Option<Size> {
        let rank = sizes.len();
        if !(1..=3).contains(&rank) {
            return None;
        }
        let mut all = [1; 3];
        all[3 - rank..].copy_from_slice(sizes);
        Some(Size {
            rank: rank as u8,
            all,
        })
    }

    /// A 2-D size `H × W`.
    pub const fn hw(h: u64, w: u64) -> Size {
        Size {
            rank: 2,
            all: [1, h, w],
        }
    }

    /// The same rank with the sizes `all` (`[D, H, W]`, leading axes this
    /// rank lacks ignored and kept at 1).
    pub fn with(self, all: Axes) -> Size {
        let mut next = self;
        let first = self.first();
        next.all[first..].copy_from_slice(&all[first..]);
        next
    }

    /// The number of spatial axes, 1 to 3.
    pub fn rank(&self) -> usize {
        usize::from(self.rank)
    }

    /// The index in [`Axes`] of the first axis this rank has.
    pub fn first(&self) -> usize {
        3 - self.rank()
    }

    /// `[D, H, W]`, the axes this rank lacks at 1.
    pub fn all(&self) -> Axes {
        self.all
    }

    /// The sizes of the axes this rank has, in order.
    pub fn axes(&self) -> &[u64] {
        &self.all[self.first()..]
    }

    /// `[H, W]`, the last two axes (the whole size of a 2-D map).
    pub fn last_two(&self) -> [u64; 2] {
        [self.all[1], self.all[2]]
    }

    /// Whether every axis is 1 (a map after a global pool).
    pub fn is_single(&self) -> bool {
        self.all == [1; 3]
    }

    /// The name of axis `a` of [`Axes`]: `L` on a 1-D map, else `D`, `H`, `W`.
    pub fn axis_name(&self, a: usize) -> &'static str {
        if self.rank == 1 {
            "L"
        } else {
            ["D", "H", "W"][a.min(2)]
        }
    }

    /// The long name of axis `a`: `length`, `depth`, `height`, `width`.
    pub fn axis_word(&self, a: usize) -> &'static str {
        if self.rank == 1 {
            "length"
        } else {
            ["depth", "height", "width"][a.min(2)]
        }
    }

    /// The axis names joined: `L`, `H×W`, `D×H×W`.
    pub fn axis_names(&self) -> String {
        let names: Vec<&str> = (self.first()..3).map(|a| self.axis_name(a)).collect();
        names.join("×")
    }
}

/// `28` for a square 2-D map, else every axis: `28×20`, `8×8×8`, and a
/// 1-D map's length.
impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let axes = self.axes();
        if self.rank() < 3 && axes.iter().all(|&s| s == axes[0]) {
            return write!(f, "{}", axes[0]);
        }
        let parts: Vec<String> = axes.iter().map(u64::to_string).collect();
        f.write_str(&parts.join("×"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_size_of_each_rank_keeps_its_axes_and_pads_the_rest_with_ones() {
        let l = Size::new(&[8000]).unwrap();
        assert_eq!(
            (l.rank(), l.all(), l.axes()),
            (1, [1, 1, 8000], &[8000][..])
        );
        let v = Size::new(&[16, 112, 112]).unwrap();
        assert_eq!((v.rank(), v.axes()), (3, &[16, 112, 112][..]));
        assert_eq!(Size::new(&[28, 28]), Some(Size::hw(28, 28)));
        assert_eq!(Size::new(&[]), None);
        assert_eq!(Size::new(&[1, 2, 3, 4]), None);
    }

    #[test]
    fn a_square_map_prints_one_number_and_a_volume_every_axis() {
        assert_eq!(Size::hw(28, 28).to_string(), "28");
        assert_eq!(Size::hw(28, 20).to_string(), "28×20");
        assert_eq!(
            Size::new(&[16, 112, 112]).unwrap().to_string(),
            "16×112×112"
        );
        assert_eq!(Size::new(&[500]).unwrap().to_string(), "500");
        assert_eq!(Size::new(&[8, 8, 8]).unwrap().to_string(), "8×8×8");
    }

    #[test]
    fn with_keeps_the_rank_and_the_missing_axes_at_one() {
        let l = Size::new(&[100]).unwrap().with([7, 7, 50]);
        assert_eq!((l.all(), l.rank()), ([1, 1, 50], 1));
        assert_eq!(l.axis_names(), "L");
        assert_eq!(Size::new(&[4, 5, 6]).unwrap().axis_names(), "D×H×W");
        assert_eq!(Size::hw(1, 1).axis_word(1), "height");
    }
}
