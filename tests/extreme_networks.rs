//! Extreme but legal networks compile, run and compute what their constants
//! say: a 1×1 input, a 4096×4096 input, a 200-layer chain, 65,535 and 65,536
//! channels, a kernel as large as the padded input. (Illegal ones whose counts
//! overflow 64 bits are refused at compile time: `tests/ui/count-overflows-u64.rs`
//! and cnn-core's unit tests.)

use cnn::burn::module::Module;
use cnn::burn::tensor::{Distribution, Tensor};
use cnn::cnn;

cnn! {
    /// One pixel in, a classifier out.
    struct OnePixel: [3, 1, 1] { conv(3, 8, 1) relu flatten linear(8, 2) }

    /// Upsampling a single pixel and pooling it back.
    struct OnePixelRoundTrip: [1, 1, 1] { upsample(scale_factor = 3) maxpool(3) }

    /// 16.8 million pixels per sample.
    struct Huge: [1, 4096, 4096] {
        maxpool(8) conv(1, 2, 3, stride = 2, padding = 1) relu adaptive_avgpool(4) flatten linear(32, 10)
    }

    /// Depthwise convolutions over 65,535 and 65,536 channels.
    struct Wide: [65535, 2, 2] {
        conv(65535, 65535, 1, groups = 65535) batchnorm(65535) adaptive_avgpool(1) flatten linear(65535, 2)
    }
    struct Widest: [65536, 1, 1] { conv(65536, 65536, 1, groups = 65536) relu }

    /// A 7×7 kernel on a 5×5 input padded by 1: one output pixel that sees it all.
    struct KernelIsInput: [2, 5, 5] { conv(2, 3, 7, padding = 1) }

    /// 200 layers: 100 convolutions, each followed by tanh.
    struct Deep: [2, 8, 8] {
        conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh
        conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh
        conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh
        conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh
        conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh
        conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh
        conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh
        conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh
        conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh
        conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh
        conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh
        conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh
        conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh
        conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh
        conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh
        conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh
        conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh
        conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh
        conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh
        conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh conv(2, 2, 3, padding = 1) tanh
    }
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .expect("f32 values")
}

#[test]
fn a_one_pixel_input_runs() {
    let device = cnn::cpu();
    let x = Tensor::<4>::random([4, 3, 1, 1], Distribution::Normal(0.0, 1.0), &device);
    assert_eq!(OnePixel::init(&device).forward(x).dims(), [4, 2]);
    assert_eq!(OnePixel::PARAMS, 3 * 8 + 8 + 8 * 2 + 2);

    let pixel = Tensor::<4>::from_floats([[[[0.75]]]], &device);
    let back = OnePixelRoundTrip::init(&device).forward(pixel);
    assert_eq!(back.dims(), [1, 1, 1, 1]);
    assert_eq!(values(back), [0.75]);
}

#[test]
fn a_4096_by_4096_input_runs() {
    assert_eq!(Huge::LAYERS[0].output_shape, &[1, 512, 512]);
    assert_eq!(Huge::MACS, 2 * 9 * 256 * 256 + 32 * 10);
    let device = cnn::cpu();
    let x = Tensor::<4>::random([1, 1, 4096, 4096], Distribution::Normal(0.0, 1.0), &device);
    let y = Huge::init(&device).forward(x);
    assert_eq!(y.dims(), [1, 10]);
    assert!(values(y).iter().all(|v| v.is_finite()));
}

#[test]
fn a_200_layer_chain_runs() {
    assert_eq!(Deep::LAYERS.len(), 200);
    assert_eq!(Deep::PARAMS, 100 * (2 * 2 * 9 + 2));
    assert_eq!(Deep::LAYERS[199].receptive_field, Some(&[201, 201][..]));
    let device = cnn::cpu();
    let net = Deep::init(&device);
    assert_eq!(net.num_params(), Deep::PARAMS);
    let x = Tensor::<4>::random([2, 2, 8, 8], Distribution::Normal(0.0, 1.0), &device);
    let y = net.forward(x);
    assert_eq!(y.dims(), [2, 2, 8, 8]);
    assert!(values(y).iter().all(|v| v.abs() <= 1.0));
}

#[test]
fn sixty_five_thousand_channels_run() {
    assert_eq!(Wide::PARAMS, 2 * 65535 + 2 * 65535 + 65535 * 2 + 2);
    let device = cnn::cpu();
    let net = Wide::init(&device);
    assert_eq!(net.num_params(), Wide::PARAMS + 2 * 65535);
    let x = Tensor::<4>::random([1, 65535, 2, 2], Distribution::Normal(0.0, 1.0), &device);
    assert_eq!(net.forward(x).dims(), [1, 2]);

    let x = Tensor::<4>::random([1, 65536, 1, 1], Distribution::Normal(0.0, 1.0), &device);
    assert_eq!(Widest::init(&device).forward(x).dims(), [1, 65536, 1, 1]);
    assert_eq!(Widest::PARAMS, 2 * 65536);
}

#[test]
fn a_kernel_as_large_as_the_padded_input_sees_all_of_it() {
    assert_eq!(KernelIsInput::OUTPUT_SHAPE, [3, 1, 1]);
    assert_eq!(KernelIsInput::LAYERS[0].receptive_field, Some(&[7, 7][..]));
    let device = cnn::cpu();
    let net = KernelIsInput::init(&device);
    let x = Tensor::<4>::random([1, 2, 5, 5], Distribution::Normal(0.0, 1.0), &device);
    let y = values(net.forward(x.clone()));
    // The one output is the dot product of the kernel's centre 5×5 with the
    // input, plus the bias: padding contributes nothing.
    let weight = net.conv1.weight.val();
    let bias = values(net.conv1.bias.as_ref().expect("bias").val());
    for (o, got) in y.iter().enumerate() {
        let centre = weight
            .clone()
            .slice([o..o + 1, 0..2, 1..6, 1..6])
            .reshape([1, 2, 5, 5]);
        let expected = values((centre * x.clone()).sum())[0] + bias[o];
        assert!(
            (got - expected).abs() < 1e-5,
            "output {o}: {got} vs {expected}"
        );
    }
}
