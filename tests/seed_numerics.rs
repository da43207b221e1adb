//! The seeds' worked numbers, computed by `cnn!` networks on every CPU
//! backend. Weights are set through the generated public fields.

use cnn::burn::module::Param;
use cnn::burn::tensor::{Device, Tensor, TensorData};
use cnn::cnn;

cnn! {
    /// Seed 001: a 3×3 kernel of ones with stride 3 on a 7×7 input whose last
    /// column is 99: the column is never read.
    #[allow(deprecated)]
    struct StrideThree: [1, 7, 7] { conv(1, 1, 3, stride = 3, bias = false) }

    /// Seed 001: max and average pooling of a 4×4 map.
    struct MaxPool: [1, 4, 4] { maxpool(2, stride = 2) }
    struct AvgPool: [1, 4, 4] { avgpool(2, stride = 2) }

    /// Seed 004, code demo 1: `F.conv2d` of arange(25) with a 2×2 kernel of ones.
    struct Plain: [1, 5, 5] { conv(1, 1, 2, bias = false) }
    #[allow(deprecated)]
    struct Strided: [1, 5, 5] { conv(1, 1, 2, stride = 2, bias = false) }
    struct Padded: [1, 5, 5] { conv(1, 1, 2, padding = 1, bias = false) }
    struct Dilated: [1, 5, 5] { conv(1, 1, 2, dilation = 2, bias = false) }

    /// Seed 004, code demo 3: upsampling [[1, 2], [3, 4]].
    struct Nearest: [1, 2, 2] { upsample(scale_factor = 2, mode = nearest) }
    struct Bilinear: [1, 2, 2] { upsample(scale_factor = 2, mode = bilinear, align_corners = true) }

    /// Seed 004, code demo 2: group, depthwise separable and transposed convolutions.
    struct Group: [64, 128, 128] { conv(64, 32, 3, groups = 8) }
    struct Separable: [64, 128, 128] { conv(64, 64, 3, groups = 64) conv(64, 32, 1) }
    struct Transposed: [32, 126, 126] { conv_transpose(32, 64, 3) }
}

fn backends() -> Vec<(&'static str, Device)> {
    vec![("flex", cnn::flex()), ("ndarray", cnn::ndarray())]
}

fn tensor(values: Vec<f32>, shape: [usize; 4], device: &Device) -> Tensor<4> {
    Tensor::from_data(TensorData::new(values, shape), device)
}

fn values(t: Tensor<4>) -> Vec<f32> {
    t.into_data().try_to_vec().expect("f32")
}

fn ones_kernel(k: usize, device: &Device) -> Param<Tensor<4>> {
    Param::from_tensor(Tensor::ones([1, 1, k, k], device))
}

fn arange25(device: &Device) -> Tensor<4> {
    tensor((0..25).map(|v| v as f32).collect(), [1, 1, 5, 5], device)
}

#[test]
fn seed_001_stride_three_never_reads_the_column_of_99s() {
    for (backend, device) in backends() {
        let mut net = StrideThree::init(&device);
        net.conv1.weight = ones_kernel(3, &device);
        let input: Vec<f32> = (0..49)
            .map(|i| if i % 7 == 6 { 99.0 } else { 1.0 })
            .collect();
        let out = net.forward(tensor(input, [1, 1, 7, 7], &device));
        assert_eq!(values(out), [9.0, 9.0, 9.0, 9.0], "{backend}");
    }
}

#[test]
fn seed_001_max_and_average_pooling() {
    let input = vec![
        1., 1., 2., 4., 5., 6., 7., 8., 3., 2., 1., 0., 1., 2., 3., 4.,
    ];
    for (backend, device) in backends() {
        let max = MaxPool::init(&device).forward(tensor(input.clone(), [1, 1, 4, 4], &device));
        assert_eq!(values(max), [6., 8., 3., 4.], "{backend}");
        let avg = AvgPool::init(&device).forward(tensor(input.clone(), [1, 1, 4, 4], &device));
        assert_eq!(values(avg), [3.25, 5.25, 2.0, 2.0], "{backend}");
    }
}

#[test]
fn seed_004_conv2d_with_stride_padding_and_dilation() {
    for (backend, device) in backends() {
        let mut plain = Plain::init(&device);
        plain.conv1.weight = ones_kernel(2, &device);
        let expected: Vec<f32> = vec![
            12., 16., 20., 24., 32., 36., 40., 44., 52., 56., 60., 64., 72., 76., 80., 84.,
        ];
        assert_eq!(
            values(plain.forward(arange25(&device))),
            expected,
            "{backend}"
        );

        let mut strided = Strided::init(&device);
        strided.conv1.weight = ones_kernel(2, &device);
        assert_eq!(
            values(strided.forward(arange25(&device))),
            [12., 20., 52., 60.],
            "{backend}"
        );

        let mut padded = Padded::init(&device);
        padded.conv1.weight = ones_kernel(2, &device);
        let expected: Vec<f32> = vec![
            0., 1., 3., 5., 7., 4., 5., 12., 16., 20., 24., 13., 15., 32., 36., 40., 44., 23., 25.,
            52., 56., 60., 64., 33., 35., 72., 76., 80., 84., 43., 20., 41., 43., 45., 47., 24.,
        ];
        assert_eq!(
            values(padded.forward(arange25(&device))),
            expected,
            "{backend}"
        );

        let mut dilated = Dilated::init(&device);
        dilated.conv1.weight = ones_kernel(2, &device);
        assert_eq!(
            values(dilated.forward(arange25(&device))),
            [24., 28., 32., 44., 48., 52., 64., 68., 72.],
            "{backend}"
        );
    }
}

#[test]
fn seed_004_nearest_and_bilinear_upsampling_tables() {
    for (backend, device) in backends() {
        let input = || tensor(vec![1., 2., 3., 4.], [1, 1, 2, 2], &device);
        let nearest = values(Nearest::init(&device).forward(input()));
        assert_eq!(
            nearest,
            [
                1., 1., 2., 2., 1., 1., 2., 2., 3., 3., 4., 4., 3., 3., 4., 4.
            ],
            "{backend}"
        );
        let bilinear = values(Bilinear::init(&device).forward(input()));
        let expected = [
            1.0, 1.3333, 1.6667, 2.0, 1.6667, 2.0, 2.3333, 2.6667, 2.3333, 2.6667, 3.0, 3.3333,
            3.0, 3.3333, 3.6667, 4.0,
        ];
        for (ours, seed) in bilinear.iter().zip(expected) {
            assert!((ours - seed).abs() < 1e-4, "{backend}: {bilinear:?}");
        }
    }
}

#[test]
fn seed_004_group_separable_and_transposed_weight_shapes() {
    let device = cnn::flex();
    assert_eq!(Group::init(&device).conv1.weight.dims(), [32, 8, 3, 3]);
    let separable = Separable::init(&device);
    assert_eq!(separable.conv1.weight.dims(), [64, 1, 3, 3]);
    assert_eq!(separable.conv2.weight.dims(), [32, 64, 1, 1]);
    assert_eq!(
        Transposed::init(&device).conv_transpose1.weight.dims(),
        [32, 64, 3, 3]
    );
    assert_eq!(
        (
            Group::OUTPUT_SHAPE,
            Separable::OUTPUT_SHAPE,
            Transposed::OUTPUT_SHAPE
        ),
        ([32, 126, 126], [32, 126, 126], [64, 128, 128])
    );
}
