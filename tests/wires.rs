//! Wires, `add`, `upsample(like = w)` and named outputs: a small
//! segmentation network and a small feature pyramid, on both paths of flex
//! and on ndarray, against the same sums written with burn's operations.

mod common;

use cnn::burn::tensor::{Distribution, Tensor};
use cnn::cnn;
use common::devices;

fn max_abs_error(a: Tensor<4>, b: Tensor<4>) -> f32 {
    assert_eq!(a.dims(), b.dims());
    let (a, b) = (
        a.into_data().try_to_vec::<f32>().expect("f32 values"),
        b.into_data().try_to_vec::<f32>().expect("f32 values"),
    );
    common::max_abs_error(&a, &b)
}

cnn! {
    /// FCN's shape: a backbone whose `layer1` is read after it, a head, an
    /// auxiliary head, both upsampled to the input's size.
    pub struct Seg: [3, 20, 24] {
        backbone: {
            conv1: conv(3, 8, 3, padding = 1) relu
            layer1: { conv(8, 12, 3, stride = 2, padding = 1) relu } as c1
            layer2: { conv(12, 16, 3, stride = 2, padding = 1) relu }
        } as c2
        aux_classifier: { from(c1) conv(12, 5, 1) }
        upsample(like = input, mode = bilinear)
        output(aux)
        from(c2)
        classifier: { conv(16, 5, 1) }
        upsample(like = input, mode = bilinear)
    }

    /// Wires bound inside a merge's branch and a residual's body, read
    /// after them; a wire bound in each repetition of a `repeat`.
    pub struct Nested: [4, 6, 6] {
        add { conv(4, 4, 1) as inner relu } { }
        residual { conv(4, 4, 3, padding = 1) as body }
        repeat(2) { conv(4, 4, 1) as rep relu from(rep) }
        add { from(inner) } { from(body) } {}
    }

    /// An FPN's top-down path: lateral 1×1 convs, upsampled sums, one output per level.
    pub struct Pyramid: [4, 16, 16] {
        body: {
            conv(4, 6, 3, padding = 1) as c1
            conv(6, 8, 3, stride = 2, padding = 1) as c2
            conv(8, 10, 3, stride = 2, padding = 1)
        }
        inner3: conv(10, 6, 1) as p3
        add { from(c2) inner2: conv(8, 6, 1) } { from(p3) upsample(like = c2) } as p2
        add { from(c1) inner1: conv(6, 6, 1) } { from(p2) upsample(like = c1) }
        layer1: conv(6, 6, 3, padding = 1) output(0)
        from(p2) layer2: conv(6, 6, 3, padding = 1) output(1)
        from(p3) layer3: conv(6, 6, 3, padding = 1)
    }
}

#[test]
fn outputs_are_listed_with_their_shapes_and_keys_stay_torchvisions() {
    assert_eq!(Seg::OUTPUT_SHAPE, [5, 20, 24]);
    assert_eq!(
        Seg::OUTPUTS,
        &[("out", &[5, 20, 24][..]), ("aux", &[5, 20, 24][..])]
    );
    assert_eq!(Pyramid::OUTPUTS.len(), 3);
    assert_eq!(Pyramid::OUTPUTS[1], ("0", &[6, 16, 16][..]));
    assert_eq!(Pyramid::OUTPUTS[2], ("1", &[6, 8, 8][..]));
    let keys: Vec<&str> = Seg::LAYERS
        .iter()
        .filter(|l| l.field.is_some() && l.kind.is_layer())
        .map(|l| l.path)
        .collect();
    assert_eq!(
        keys,
        [
            "backbone.conv1",
            "backbone.layer1.0",
            "backbone.layer2.0",
            "aux_classifier.0",
            "classifier.0"
        ]
    );
    assert!(Seg::PYTORCH.contains("OrderedDict"), "{}", Seg::PYTORCH);
}

#[test]
fn the_segmentation_network_computes_its_heads_from_its_wires() {
    for (name, device, path) in devices() {
        let _path = cnn::fast::use_path(path);
        let net = Seg::init(&device);
        let x = Tensor::<4>::random([2, 3, 20, 24], Distribution::Normal(0.0, 1.0), &device);
        let outputs = net.forward_outputs(x.clone());
        let main = net.forward(x.clone());
        let relu = cnn::burn::tensor::activation::relu;
        let b = &net.backbone;
        let stem = relu(b.conv1.forward(x));
        let c1 = relu(b.layer1.conv1.forward(stem));
        let c2 = relu(b.layer2.conv1.forward(c1.clone()));
        let up = |t: Tensor<4>| cnn::__private::resample(t, Some([20, 24]), None, true, false);
        let aux = up(net.aux_classifier.conv1.forward(c1));
        let out = up(net.classifier.conv1.forward(c2));
        let tolerance = 1e-5;
        for (what, got, want) in [
            ("out", outputs.out.clone(), out.clone()),
            ("aux", outputs.aux, aux),
            ("forward", main, out),
        ] {
            let error = max_abs_error(got, want);
            assert!(error < tolerance, "{name}: {what} differs by {error}");
        }
    }
}

#[test]
fn the_pyramid_sums_its_levels_top_down() {
    for (name, device, path) in devices() {
        let _path = cnn::fast::use_path(path);
        let net = Pyramid::init(&device);
        let x = Tensor::<4>::random([2, 4, 16, 16], Distribution::Normal(0.0, 1.0), &device);
        let outputs = net.forward_outputs(x.clone());
        let b = &net.body;
        let c1 = b.conv1.forward(x);
        let c2 = b.conv2.forward(c1.clone());
        let c3 = b.conv3.forward(c2.clone());
        let p3 = net.inner3.forward(c3);
        let near = |t: Tensor<4>, s| cnn::__private::resample(t, Some(s), None, false, false);
        let p2 = net.inner2.forward(c2) + near(p3.clone(), [8, 8]);
        let p1 = net.inner1.forward(c1) + near(p2.clone(), [16, 16]);
        for (what, got, want) in [
            ("0", outputs._0, net.layer1.forward(p1)),
            ("1", outputs._1, net.layer2.forward(p2)),
            ("out", outputs.out, net.layer3.forward(p3)),
        ] {
            let error = max_abs_error(got, want);
            assert!(error < 1e-5, "{name}: {what} differs by {error}");
        }
    }
}

#[test]
fn wires_bound_inside_merges_and_repetitions_are_read_after_them() {
    for (name, device, path) in devices() {
        let _path = cnn::fast::use_path(path);
        let net = Nested::init(&device);
        let x = Tensor::<4>::random([2, 4, 6, 6], Distribution::Normal(0.0, 1.0), &device);
        let got = net.forward(x.clone());
        let relu = cnn::burn::tensor::activation::relu;
        let inner = net.conv1.forward(x.clone());
        let x = relu(inner.clone()) + x;
        let body = net.conv2.forward(x.clone());
        let x = body.clone() + x;
        // Each repetition continues from its own wire: the conv's output.
        let x = net.conv3.forward(x);
        let x = net.conv4.forward(x);
        let want = inner + body + x;
        let error = max_abs_error(got, want);
        assert!(error < 1e-5, "{name}: differs by {error}");
    }
}

#[test]
fn every_output_follows_another_input_size() {
    let summary = Seg::summary_for([3, 48, 64]).expect("runs at 48×64");
    assert!(summary.to_string().contains("[5, 48, 64]"), "{summary}");
    let device = cnn::flex();
    let net = Seg::init(&device);
    let x = Tensor::<4>::zeros([1, 3, 30, 34], &device);
    let outputs = net.try_forward_outputs(x).expect("runs at 30×34");
    assert_eq!(outputs.out.dims(), [1, 5, 30, 34]);
    assert_eq!(outputs.aux.dims(), [1, 5, 30, 34]);
}

/// One graph output per network output, each as burn computes it in ONNX
/// Runtime (skipped where `onnxruntime` is not installed).
#[test]
fn onnx_export_has_one_graph_output_per_network_output() {
    if !common::onnxruntime_here() {
        println!("SKIPPED: no onnxruntime for python3 (pip install onnxruntime)");
        return;
    }
    let device = cnn::flex();
    let dir = std::env::temp_dir().join(format!("cnn-wires-onnx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut models = Vec::new();
    macro_rules! export {
        ($net:ty, $name:literal, $shape:expr) => {{
            let net = <$net>::init(&device);
            let path = dir.join(concat!($name, ".onnx"));
            net.save_onnx(&path).expect("saves");
            let x = Tensor::<4>::random($shape, Distribution::Normal(0.0, 1.0), &device);
            common::write_outputs(&path, &x, net.forward_outputs(x.clone()).into_data());
            models.push(($name, path));
        }};
    }
    export!(Seg, "seg", [2, 3, 20, 24]);
    export!(Pyramid, "pyramid", [2, 4, 16, 16]);
    for ((name, _), (error, largest)) in models.iter().zip(common::onnx_runtime_errors(&models)) {
        println!("{name}: ONNX Runtime within {error:.2e} of burn (max |output| {largest:.3})");
        assert!(error <= 1e-4, "{name}: {error}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// The summary reports the most values a forward pass holds at once: for
/// `Pyramid`, while `inner1` runs on `c1` both are held with `p2`, `p3`
/// and the wire `c1` itself until the sum reads it.
#[test]
fn the_summary_reports_peak_live_activations() {
    let summary = Pyramid::summary().to_string();
    assert!(
        summary.contains("Peak live activations per sample"),
        "{summary}"
    );
    let c1 = 6 * 16 * 16;
    // The input and its convolution, at least.
    assert!(Pyramid::PEAK_ACTIVATIONS >= 4 * 16 * 16 + c1);
    // Never more than every wire, output and a layer's input and output at once.
    let bound = 4 * 16 * 16 + 3 * c1 + 4 * (8 * 8 * 8) + 6 * 4 * 4 * 10;
    assert!(
        Pyramid::PEAK_ACTIVATIONS <= bound,
        "{}",
        Pyramid::PEAK_ACTIVATIONS
    );
}
