//! The portable micro-kernel: plain Rust, 4 rows by 16 columns, which the
//! compiler vectorises for whatever the target has.

use super::Tile;

/// Runs the kernel for `rows ≤ 4` rows over every strip of the panel.
///
/// # Safety
/// As [`super::run`].
pub(super) unsafe fn run(rows: usize, t: &Tile) {
    for col in (0..t.cols).step_by(16) {
        let mut acc = [[0.0f32; 16]; 4];
        for tap in 0..t.taps {
            for (m, acc) in acc.iter_mut().enumerate().take(rows) {
                // SAFETY: `t.a` holds `taps · rows` pointers, each with `cin`
                // floats after `a_off`.
                let a = unsafe {
                    std::slice::from_raw_parts((*t.a.add(tap * rows + m)).add(t.a_off), t.cin)
                };
                for (c, &x) in a.iter().enumerate() {
                    // SAFETY: panel row `tap · cin + c`, columns col..col + 16 ≤ nr.
                    let b = unsafe {
                        std::slice::from_raw_parts(t.b.add((tap * t.cin + c) * t.nr + col), 16)
                    };
                    for (acc, &w) in acc.iter_mut().zip(b) {
                        *acc += x * w;
                    }
                }
            }
        }
        let lanes = (t.cols - col).min(16);
        for (m, acc) in acc.iter().enumerate().take(rows) {
            for (j, &value) in acc.iter().enumerate().take(lanes) {
                // SAFETY: bias column col + j < nr.
                let mut y = value + unsafe { *t.bias.add(col + j) };
                if let Some((res, ldr)) = t.res {
                    // SAFETY: residual row m, column col + j < cols.
                    y += unsafe { *res.add(m * ldr + col + j) };
                }
                // SAFETY: output row m, column col + j < cols.
                unsafe { *t.c.add(m * t.ldc + col + j) = t.act.scalar(y) };
            }
        }
    }
}
