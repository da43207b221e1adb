//! Expansion snapshots, printed through `prettyplease` so they read like the
//! `cargo expand` output a user sees. Bless with `CNN_BLESS=1 cargo test -p cnn-core`
//! and read the diff.

use std::path::PathBuf;

fn expanded(src: &str) -> String {
    let tokens: proc_macro2::TokenStream =
        format!("::cnn_runtime, {src}").parse().expect("tokenizes");
    let out = crate::expand(tokens);
    let file: syn::File = syn::parse2(out).expect("the expansion is valid Rust");
    prettyplease::unparse(&file)
}

fn assert_snapshot(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.expanded.rs"));
    if std::env::var_os("CNN_BLESS").is_some() {
        std::fs::write(&path, actual).expect("writes the snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "{} differs from the expansion; bless with CNN_BLESS=1 and review the diff.\n--- actual ---\n{actual}",
        path.display()
    );
}

#[test]
fn lenet_expands_to_readable_burn() {
    let src = "/// LeNet-5.\npub struct LeNet: [1, 28, 28] {
        conv(1, 6, 5) relu maxpool(2)
        conv(6, 16, 5) relu maxpool(2)
        flatten linear(256, 120) relu linear(120, 84) relu linear(84, 10) softmax
    }";
    assert_snapshot("lenet", &expanded(src));
}

#[test]
fn every_layer_kind_expands_with_its_non_default_options() {
    let src = "pub(crate) struct Zoo: [3, 16, 16] {
        conv(3, 8, 3, stride = 1, padding = same, dilation = 2, groups = 1, bias = false) batchnorm(8, eps = 0.001, momentum = 0.01)
        leaky_relu(0.2) conv(8, 8, 4, padding = same, groups = 8) gelu
        maxpool(3, stride = 2, padding = 1, dilation = 1, ceil_mode = true) silu
        conv_transpose(8, 4, 3, stride = 2, padding = 1, output_padding = 1, bias = false) tanh
        avgpool(2, padding = 1, count_include_pad = false) sigmoid
        upsample(scale_factor = 2, mode = bilinear) upsample(size = (10, 12))
        adaptive_avgpool((2, 3)) dropout(0.25) flatten linear(24, 5, bias = false) log_softmax
    }";
    assert_snapshot("zoo", &expanded(src));
}

#[test]
fn wires_expand_to_local_variables_and_forward_skips_the_auxiliary_head() {
    let src = "pub struct Seg: [3, 16, 16] {
        backbone: {
            conv1: conv(3, 8, 3, padding = 1) relu
            layer1: conv(8, 8, 3, stride = 2, padding = 1) as c1
            layer2: conv(8, 16, 3, stride = 2, padding = 1)
        } as c2
        from(c1) aux: conv(8, 4, 1) upsample(like = input, mode = bilinear) output(aux)
        add { from(c2) conv(16, 4, 1) } { from(c1) conv(8, 4, 3, stride = 2, padding = 1) }
        upsample(like = input, mode = bilinear)
    }";
    let out = expanded(src);
    // `forward` does not compute the auxiliary head; `forward_outputs` does.
    let forward = &out[out.find("pub fn try_forward(").expect("try_forward")..];
    let forward = &forward[..forward[1..]
        .find("pub fn ")
        .map_or(forward.len(), |end| end + 1)];
    assert!(!forward.contains("self.aux.forward"), "{forward}");
    assert!(out.contains("pub fn try_forward_outputs("), "{out}");
    assert_snapshot("wires", &out);
}

#[test]
fn a_network_with_errors_expands_to_a_stub_and_the_errors() {
    let out = expanded("struct Broken: [1, 28, 28] { conv(3, 6, 5) flatten linear(1, 10) }");
    assert!(out.contains("struct Broken;"), "{out}");
    assert!(out.contains("compile_error!"), "{out}");
    assert!(out.contains("pub fn forward("), "{out}");
}

#[test]
fn a_residual_block_expands_to_a_struct_of_its_own() {
    let src = "block basic(c) {
        residual {
            conv1: conv(c, c, 3, padding = 1, bias = false) bn1: batchnorm(c) relu
            conv2: conv(c, c, 3, padding = 1, bias = false) bn2: batchnorm(c)
        }
        relu
    }
    pub struct Tiny: [8, 8, 8] {
        layer1: { repeat(2) { basic(8) } }
        concat {} { conv(8, 8, 1) }
        adaptive_avgpool(1) flatten fc: linear(16, 2)
    }";
    assert_snapshot("residual", &expanded(src));
}
