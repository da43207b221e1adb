//! The kernels' safety conditions, each with the test that would catch its
//! loss: clones stay aligned for the aligned loads, every kernel compiled
//! for a set runs only where detection found each of its features, and a
//! size whose product overflows is a panic (in release builds too), never a
//! wrapped length that passes a bounds check.

use cnn_kernels::depthwise::{PackedDepthwise, depthwise};
use cnn_kernels::pack::Aligned;
use cnn_kernels::pool::{Pool, pool};
use cnn_kernels::winograd::{PackedWinograd, conv3x3};
use cnn_kernels::{Act, Channels, ConvGeom, Depth, GemmDims, Isa, PackedGemm, gemm};
use std::path::{Path, PathBuf};

fn aligned(values: &[f32]) -> bool {
    (values.as_ptr() as usize).is_multiple_of(64)
}

#[test]
fn a_hundred_clones_keep_their_data_on_a_64_byte_boundary() {
    let mut original = Aligned::zeros(1000);
    for (i, v) in original.as_mut_slice().iter_mut().enumerate() {
        *v = i as f32;
    }
    let mut clones = Vec::new();
    for n in 0..if cfg!(miri) { 3 } else { 100 } {
        // Allocations of other sizes in between move the allocator's next address.
        clones.push(vec![0u8; 1 + n * 7]);
        let clone = original.clone();
        assert!(aligned(clone.as_slice()), "clone {n}");
        assert_eq!(clone.as_slice(), original.as_slice());
        clones.push(Vec::new());
        std::mem::forget(clone);
    }
}

#[test]
fn cloned_packings_run_on_every_instruction_set_and_compute_the_original() {
    let dims = GemmDims {
        taps: 9,
        cin: 5,
        cout: 40,
        groups: 1,
    };
    let weights: Vec<f32> = (0..40 * 5 * 9).map(|i| (i % 7) as f32 - 3.0).collect();
    let original = PackedGemm::conv(&weights, dims, None, None);
    let g = ConvGeom {
        batch: 1,
        depth: Depth::FLAT,
        input: [6, 6],
        output: [6, 6],
        kernel: [3, 3],
        stride: [1, 1],
        padding: [1, 1],
        dilation: [1, 1],
    };
    let x: Vec<f32> = (0..36 * 5).map(|i| (i % 5) as f32).collect();
    let run = |isa: Isa, w: &PackedGemm| {
        let mut out = vec![0.0; 36 * 40];
        gemm::conv(
            isa,
            w,
            &g,
            &x,
            Channels::all(5),
            &mut out,
            Channels::all(40),
            None,
            Act::None,
        );
        out
    };
    let mut keep = Vec::new();
    for n in 0..if cfg!(miri) { 2 } else { 100 } {
        keep.push(vec![0u8; 3 + 13 * n]);
        let clone = original.clone();
        for isa in Isa::supported_sets() {
            // An aligned load of a misaligned clone faults here.
            assert_eq!(
                run(isa, &clone),
                run(isa, &original),
                "clone {n} on {isa:?}"
            );
        }
        keep.push(Vec::new());
        std::mem::forget(clone);
    }
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("reads the source folder") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
#[cfg_attr(miri, ignore = "reads the sources, which Miri's isolation forbids")]
fn every_target_feature_list_is_one_sets_list_which_detection_checks() {
    let mut files = Vec::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let lists: Vec<String> = Isa::all().map(|isa| isa.features().join(",")).into();
    let mut found = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).expect("reads a source file");
        for (at, _) in text.match_indices("#[target_feature(enable = \"") {
            let rest = &text[at + "#[target_feature(enable = \"".len()..];
            let list = &rest[..rest.find('"').expect("a closing quote")];
            assert!(
                lists.iter().any(|l| l == list),
                "{}: enables {list:?}, which is no set's feature list {lists:?}",
                file.display()
            );
            // A file of one set's kernels enables that set's list.
            let name = file.to_string_lossy();
            for isa in [Isa::Avx512, Isa::Avx2] {
                if name.ends_with(&format!("{}.rs", isa.name())) {
                    assert_eq!(list, isa.features().join(","), "{name}");
                }
            }
            found += 1;
        }
    }
    assert!(found >= 8, "only {found} target_feature attributes found");
    // Detection checks each feature of the list.
    #[cfg(target_arch = "x86_64")]
    {
        let has = |f: &str| match f {
            "avx512f" => std::arch::is_x86_feature_detected!("avx512f"),
            "avx512vl" => std::arch::is_x86_feature_detected!("avx512vl"),
            "avx2" => std::arch::is_x86_feature_detected!("avx2"),
            "fma" => std::arch::is_x86_feature_detected!("fma"),
            other => panic!("a feature the test does not know: {other}"),
        };
        for isa in Isa::all() {
            assert_eq!(
                isa.supported(),
                isa.features().iter().all(|f| has(f)),
                "{isa:?}"
            );
        }
    }
}

const HUGE: usize = 1 << 33;

fn geometry(batch: usize, side: usize) -> ConvGeom {
    ConvGeom {
        batch,
        depth: Depth::FLAT,
        input: [side, side],
        output: [side, side],
        kernel: [1, 1],
        stride: [1, 1],
        padding: [0, 0],
        dilation: [1, 1],
    }
}

fn one_by_one() -> PackedGemm {
    let dims = GemmDims {
        taps: 1,
        cin: 1,
        cout: 1,
        groups: 1,
    };
    PackedGemm::conv(&[1.0], dims, None, None)
}

#[test]
#[should_panic(expected = "overflows usize")]
fn a_convolution_whose_pixel_count_overflows_panics() {
    // 2³³ · 2³³ · 2³³ pixels wrap to 0 in 64 bits: a wrapped product would
    // pass the length checks with empty buffers.
    gemm::conv(
        Isa::Portable,
        &one_by_one(),
        &geometry(HUGE, HUGE),
        &[],
        Channels::all(1),
        &mut [],
        Channels::all(1),
        None,
        Act::None,
    );
}

#[test]
#[should_panic(expected = "overflows usize")]
fn a_packing_whose_weight_count_overflows_panics() {
    // 2³² taps · 2³² input channels wrap to 0 weights.
    let dims = GemmDims {
        taps: 1 << 32,
        cin: 1 << 32,
        cout: 1,
        groups: 1,
    };
    PackedGemm::conv(&[], dims, None, None);
}

#[test]
#[should_panic(expected = "Channels")]
fn channels_past_the_end_of_the_address_space_are_refused() {
    let x = [0.0; 4];
    let mut out = [0.0; 4];
    let input = Channels {
        stride: 1,
        offset: usize::MAX,
    };
    gemm::conv(
        Isa::Portable,
        &one_by_one(),
        &geometry(1, 2),
        &x,
        input,
        &mut out,
        Channels::all(1),
        None,
        Act::None,
    );
}

#[test]
#[should_panic(expected = "overflows usize")]
fn a_depthwise_convolution_whose_pixel_count_overflows_panics() {
    let w = PackedDepthwise::new(&[1.0], 1, [1, 1], None, None);
    depthwise(
        Isa::Portable,
        &w,
        &geometry(HUGE, HUGE),
        &[],
        Channels::all(1),
        &mut [],
        Channels::all(1),
        Act::None,
    );
}

#[test]
#[should_panic(expected = "overflows usize")]
fn a_winograd_convolution_whose_pixel_count_overflows_panics() {
    let w = PackedWinograd::new(&[0.0; 9], 1, 1, None, None);
    let mut g = geometry(HUGE, HUGE);
    g.kernel = [3, 3];
    g.padding = [1, 1];
    conv3x3(
        Isa::Portable,
        &w,
        &g,
        &[],
        Channels::all(1),
        &mut [],
        Channels::all(1),
        None,
        Act::None,
    );
}

#[test]
#[should_panic(expected = "overflows usize")]
fn a_pool_whose_pixel_count_overflows_panics() {
    pool(
        Isa::Portable,
        Pool::Max,
        &geometry(HUGE, HUGE),
        1,
        &[],
        Channels::all(1),
        &mut [],
        Channels::all(1),
    );
}

#[test]
#[cfg_attr(miri, ignore = "17 M multiply-adds: too slow to interpret")]
fn a_huge_layers_scratch_is_freed_after_the_call() {
    // 27×27 taps of 15 channels: the copied patches of one block of about
    // 96 rows take 4.2 MB, past what a thread keeps.
    let (cin, taps) = (15, 27 * 27);
    let dims = GemmDims {
        taps,
        cin,
        cout: 1,
        groups: 1,
    };
    let packed = PackedGemm::conv(&vec![0.5; taps * cin], dims, None, None);
    let g = ConvGeom {
        batch: 1,
        depth: Depth::FLAT,
        input: [40, 40],
        output: [40, 40],
        kernel: [27, 27],
        stride: [1, 1],
        padding: [13, 13],
        dilation: [1, 1],
    };
    let x = vec![1.0; 40 * 40 * cin];
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a pool of one thread");
    let (kept, centre) = pool.install(|| {
        let mut out = vec![0.0; 40 * 40];
        gemm::conv(
            Isa::best(),
            &packed,
            &g,
            &x,
            Channels::all(cin),
            &mut out,
            Channels::all(1),
            None,
            Act::None,
        );
        (cnn_kernels::par::scratch_bytes(), out[20 * 40 + 20])
    });
    assert_eq!(centre, 0.5 * (taps * cin) as f32);
    assert!(
        kept <= cnn_kernels::par::SCRATCH_KEPT && kept < 96 * taps * cin * 4,
        "{kept} bytes of scratch kept"
    );
}
