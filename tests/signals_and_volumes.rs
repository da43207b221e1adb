//! 1-D and 3-D networks at run time: other sizes of the declared rank run
//! with the compiler's rules, a batch of another rank or size is an error
//! naming both shapes, and every weight format saves and loads them exactly.
//! (Their numbers against PyTorch: `pytorch_numerics.rs`, torchvision's video
//! ResNets: `torchvision_video.rs`.)

mod common;

use cnn::burn::tensor::{Distribution, Tensor};
use common::{Signals, Volumes};

cnn::cnn! {
    /// A keyword-spotting stem that takes any clip length from 2,000 samples on.
    pub struct Clips: [1, 8000] also [1, 16000] {
        conv(1, 8, 80, stride = 16) batchnorm(8) relu maxpool(4)
        conv(8, 8, 3, padding = 1) relu adaptive_avgpool(1) flatten linear(8, 3)
    }
}

#[test]
fn a_1d_network_runs_on_another_length_with_the_compilers_rules() {
    let device = cnn::flex();
    let net = Clips::init(&device);
    let x = Tensor::<3>::random([2, 1, 12_000], Distribution::Normal(0.0, 1.0), &device);
    assert_eq!(net.forward(x).dims(), [2, 3]);
    let summary = Clips::summary_for([1, 12_000]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(summary.rows[0].output_shape, [8, 746]);
    assert_eq!(summary.rows[0].receptive_field.as_deref(), Some(&[80][..]));
}

#[test]
fn a_clip_too_short_for_the_pools_is_the_compilers_error_naming_both_shapes() {
    let device = cnn::flex();
    let net = Clips::init(&device);
    let x = Tensor::<3>::zeros([1, 1, 100], &device);
    let error = net.try_forward(x).expect_err("100 samples are too short");
    let text = error.to_string();
    assert!(
        text.starts_with("`maxpool(4)` has nothing to pool: its input is 2 long"),
        "{text}"
    );
    assert!(
        text.ends_with("on the input [1, 1, 100]; it is declared for [N, 1, 8000]"),
        "{text}"
    );
    assert_eq!(error.declared, [1, 8000]);
}

#[test]
fn a_batch_of_another_rank_is_an_error_not_a_panic() {
    let error = cnn::ShapeError::check("Clips", &Clips::INPUT_SHAPE, Clips::PLAN, &[2, 1, 28, 28])
        .expect_err("an image batch");
    assert_eq!(
        error.message,
        "`Clips` takes a batch [N, C, L] with N > 0, found [2, 1, 28, 28]"
    );
    let volume =
        cnn::ShapeError::check("Volumes", &Volumes::INPUT_SHAPE, Volumes::PLAN, &[2, 6, 10])
            .expect_err("a signal batch");
    assert!(
        volume.message.contains("[N, C, D, H, W]"),
        "{}",
        volume.message
    );
}

#[test]
fn signals_and_volumes_save_and_load_in_every_format_exactly() {
    let device = cnn::flex();
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    macro_rules! round_trip {
        ($net:ident, $rank:literal, $shape:expr) => {{
            let net = $net::init(&device);
            let x = Tensor::<$rank>::random($shape, Distribution::Normal(0.0, 1.0), &device);
            let expected = net.forward(x.clone()).into_data();
            let (bpk, st) = (
                dir.join(concat!(stringify!($net), ".bpk")),
                dir.join(concat!(stringify!($net), ".safetensors")),
            );
            net.save_burnpack(&bpk).unwrap_or_else(|e| panic!("{e}"));
            net.save_safetensors(&st).unwrap_or_else(|e| panic!("{e}"));
            for loaded in [
                $net::load_burnpack(&bpk, &device),
                $net::load_safetensors(&st, &device),
            ] {
                let loaded = loaded.unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(loaded.forward(x.clone()).into_data(), expected);
            }
        }};
    }
    round_trip!(Signals, 3, [3, 2, 40]);
    round_trip!(Volumes, 5, [2, 2, 6, 10, 9]);
}

#[test]
fn the_twin_of_a_1d_network_is_built_of_1d_modules() {
    assert!(
        Signals::PYTORCH
            .contains("nn.Conv1d(2, 6, kernel_size=5, stride=2, padding=2, bias=False)")
    );
    assert!(Volumes::PYTORCH.contains("nn.MaxPool3d(kernel_size=3, stride=2, padding=1)"));
    assert!(!Signals::PYTORCH.contains("2d("));
}
