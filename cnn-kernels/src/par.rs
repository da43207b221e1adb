//! Splitting work over the threads of rayon's global pool (the pool burn's
//! flex backend runs on), in contiguous shares: one share per thread, so a
//! layer costs one fork and one join whatever its size.

/// Below this many multiply-accumulates a layer runs on the calling thread:
/// a fork and join costs about as much as 100,000 of them on one core.
pub const PARALLEL_FROM_MACS: u64 = 1 << 17;

/// Threads to use for `items` items of `macs` total work.
pub fn threads_for(items: usize, macs: u64) -> usize {
    if macs < PARALLEL_FROM_MACS {
        return 1;
    }
    rayon::current_num_threads().min(items).max(1)
}

/// Runs `work(share)` for `share` in `0..shares`, one share per thread.
pub fn run(shares: usize, work: impl Fn(usize) + Sync) {
    match shares {
        0 => {}
        1 => work(0),
        _ => rayon::scope(|scope| {
            let work = &work;
            for share in 1..shares {
                scope.spawn(move |_| work(share));
            }
            work(0);
        }),
    }
}

/// Runs `f` on a thread of the pool (the caller waits): a sequence of
/// parallel steps run from there hands work to the other threads while they
/// are still looking for it, instead of waking them from sleep each time.
pub fn in_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    rayon::scope(|_| f())
}

/// The items of share `share` of `shares` over `items` items.
pub fn share(items: usize, shares: usize, share: usize) -> std::ops::Range<usize> {
    items * share / shares..items * (share + 1) / shares
}

/// Bytes of one scratch buffer that a thread keeps between calls: one that
/// a rare, huge layer grew past this is freed after that call, so that no
/// thread of the pool holds its largest layer's scratch for good.
pub const SCRATCH_KEPT: usize = 4 << 20;

/// Frees `v` if it holds more than [`SCRATCH_KEPT`] bytes.
pub(crate) fn trim<T>(v: &mut Vec<T>) {
    if v.capacity() * std::mem::size_of::<T>() > SCRATCH_KEPT {
        *v = Vec::new();
    }
}

/// Bytes of scratch the calling thread holds between calls (the GEMM's
/// pointers and patches, Winograd's transformed tiles).
pub fn scratch_bytes() -> usize {
    crate::gemm::scratch_bytes() + crate::winograd::scratch_bytes()
}

/// A pointer that threads writing disjoint parts of one buffer share.
#[derive(Clone, Copy)]
pub(crate) struct SharedMut(pub *mut f32);

// SAFETY: every user writes only the part of the buffer its share owns
// (disjoint rows or columns), so no two threads touch one float.
unsafe impl Send for SharedMut {}
// SAFETY: as above.
unsafe impl Sync for SharedMut {}

/// Runs `work(first_row, rows)` over `out` cut into `shares` runs of whole
/// rows of `row_len` floats, in parallel.
pub fn rows_mut(
    out: &mut [f32],
    row_len: usize,
    rows: usize,
    shares: usize,
    work: impl Fn(usize, &mut [f32]) + Sync + Send,
) {
    use rayon::prelude::*;
    let out = &mut out[..rows * row_len];
    if shares <= 1 || rows <= 1 {
        return work(0, out);
    }
    let per_share = rows.div_ceil(shares);
    out.par_chunks_mut(per_share * row_len)
        .enumerate()
        .for_each(|(share, chunk)| work(share * per_share, chunk));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_cover_the_items_once() {
        for items in [0, 1, 5, 17] {
            for shares in 1..5 {
                let covered: Vec<usize> =
                    (0..shares).flat_map(|s| share(items, shares, s)).collect();
                assert_eq!(covered, (0..items).collect::<Vec<_>>());
            }
        }
    }
}
