//! Writes `tests/random_chains/generated.rs` at the workspace root: random valid layer
//! chains over every layer kind (random strides, paddings, dilations, groups,
//! `ceil_mode`, upsampling modes) as `cnn!` networks, with a test that runs
//! each emitted module and compares what it computes with its own constants.
//!
//! The chains are a function of the seed below, so the generated file is
//! checked here to be current; `CNN_BLESS=1 cargo test -p cnn-core --test
//! random_chains` rewrites it after a change to the generator or the checks.

use std::path::Path;
use std::str::FromStr;

use cnn_core::model::{Network, Shape};
use proc_macro2::TokenStream;

mod common;
use common::Rng;

const SEED: u64 = 0x5eed_c4a1;
const CHAINS: usize = 64;
const BLOCK_NETS: usize = 24;
const ZOO_NETS: usize = 16;

fn analyze(body: &str) -> Option<Network> {
    let tokens = TokenStream::from_str(&format!("::cnn_runtime, {body}")).ok()?;
    let (mut networks, cx) = cnn_core::analyze(tokens).ok()?;
    // A pool whose window reads only padding outputs -inf by design (the
    // compiler warns); the chains here must compute finite numbers.
    let degenerate = cx
        .warnings()
        .iter()
        .any(|w| w.name == "pool_window_reads_only_padding");
    (cx.is_ok() && !degenerate && networks.len() == 1).then(|| networks.remove(0))
}

/// A divisor of both `a` and `b`, chosen at random.
fn common_divisor(rng: &mut Rng, a: u64, b: u64) -> u64 {
    let divisors: Vec<u64> = (1..=a.min(b))
        .filter(|d| a.is_multiple_of(*d) && b.is_multiple_of(*d))
        .collect();
    divisors[(rng.next() % divisors.len() as u64) as usize]
}

fn pair_or_one(rng: &mut Rng, lo: u64, hi: u64) -> String {
    if rng.chance(25) {
        format!("({}, {})", rng.range(lo, hi), rng.range(lo, hi))
    } else {
        rng.range(lo, hi).to_string()
    }
}

/// A candidate layer for a `[c, h, w]` map.
fn map_layer(rng: &mut Rng, c: u64) -> String {
    let bias = |rng: &mut Rng| {
        if rng.chance(20) { ", bias = false" } else { "" }
    };
    match rng.range(0, 26) {
        0..=2 => {
            let out = rng.range(1, 6);
            let groups = common_divisor(rng, c, out);
            let stride = rng.range(1, 2);
            let padding = match rng.range(0, 5) {
                0 if stride == 1 => "same".to_string(),
                1 => "valid".to_string(),
                _ => pair_or_one(rng, 0, 2),
            };
            format!(
                "conv({c}, {out}, {}, stride = {stride}, padding = {padding}, dilation = {}, groups = {groups}{})",
                pair_or_one(rng, 1, 3),
                rng.range(1, 2),
                bias(rng)
            )
        }
        3 => {
            let out = rng.range(1, 6);
            let groups = common_divisor(rng, c, out);
            let stride = rng.range(1, 2);
            let dilation = rng.range(1, 2);
            format!(
                "conv_transpose({c}, {out}, {}, stride = {stride}, padding = {}, output_padding = {}, groups = {groups}, dilation = {dilation}{})",
                rng.range(1, 3),
                rng.range(0, 1),
                rng.range(0, stride.max(dilation) - 1),
                bias(rng)
            )
        }
        4 | 5 => {
            let kernel = rng.range(1, 3);
            format!(
                "maxpool({kernel}, stride = {}, padding = {}, dilation = {}, ceil_mode = {})",
                rng.range(1, 3),
                rng.range(0, kernel / 2),
                rng.range(1, 2),
                rng.chance(30)
            )
        }
        6 => {
            let kernel = rng.range(1, 3);
            format!(
                "avgpool({kernel}, stride = {}, padding = {}, ceil_mode = {}, count_include_pad = {})",
                rng.range(1, 3),
                rng.range(0, kernel / 2),
                rng.chance(30),
                rng.chance(50)
            )
        }
        7 => format!("adaptive_avgpool({})", pair_or_one(rng, 1, 4)),
        8 => format!("batchnorm({c})"),
        9 => format!("dropout({})", rng.pick(&["0.0", "0.3", "0.5"])),
        10 => {
            let mode = *rng.pick(&["nearest", "bilinear"]);
            let corners = if mode == "bilinear" && rng.chance(50) {
                ", align_corners = true"
            } else {
                ""
            };
            let size = match rng.range(0, 3) {
                0 => format!("size = {}", pair_or_one(rng, 2, 12)),
                1 => format!("scale_factor = {}", rng.pick(&["1.5", "0.5", "(2, 1.5)"])),
                _ => format!("scale_factor = {}", rng.range(1, 2)),
            };
            format!("upsample({size}, mode = {mode}{corners})")
        }
        11 => "flatten".to_string(),
        12 => {
            let padding = if rng.chance(30) { "same" } else { "1" };
            format!(
                "separable({c}, {}, {}, padding = {padding}, dilation = {}{})",
                rng.range(1, 6),
                rng.range(1, 3),
                rng.range(1, 2),
                bias(rng)
            )
        }
        13 => format!(
            "groupnorm({}, {c}, affine = {})",
            common_divisor(rng, c, c),
            rng.chance(70)
        ),
        14 => format!("instancenorm({c}, affine = {})", rng.chance(50)),
        15 => format!("prelu({})", rng.pick(&["1".to_string(), c.to_string()])),
        16 => format!("pixel_shuffle({})", rng.range(1, 2)),
        17 => format!("pixel_unshuffle({})", rng.range(1, 2)),
        18 => format!("channel_shuffle({})", common_divisor(rng, c, c)),
        19 => format!(
            "zeropad({})",
            rng.pick(&["1".to_string(), "(0, 1, 2, 0)".to_string()])
        ),
        20 => format!("adaptive_maxpool({})", pair_or_one(rng, 1, 4)),
        21 => format!("dropout2d({})", rng.pick(&["0.0", "0.3"])),
        22 => "identity".to_string(),
        _ => activation(rng),
    }
}

fn activation(rng: &mut Rng) -> String {
    rng.pick(&[
        "relu",
        "leaky_relu(0.1)",
        "gelu",
        "sigmoid",
        "tanh",
        "silu",
        "softmax",
        "log_softmax",
        "relu6",
        "hardswish",
        "hardsigmoid",
        "selu",
        "mish",
        "elu(alpha = 0.5)",
        "softplus(beta = 2)",
        "gelu(approximate = tanh)",
        "prelu",
    ])
    .to_string()
}

/// A chain of 2 to 10 layers on a small input, small enough to run in a
/// debug build: at most 4,096 values per sample after any layer.
fn chain(rng: &mut Rng, index: usize) -> String {
    let input = [rng.range(1, 4), rng.range(3, 20), rng.range(3, 20)];
    let name = format!("Chain{index:02}");
    let mut layers = Vec::new();
    let mut shape = Shape::chw(input[0], input[1], input[2]);
    let length = rng.range(2, 10);
    let mut attempts = 0;
    while layers.len() < length as usize && attempts < 200 {
        attempts += 1;
        let (candidate, probe) = match shape {
            Shape::Map(c, size) => {
                let [h, w] = size.last_two();
                let layer = map_layer(rng, c);
                let probe = format!("struct T: [{c}, {h}, {w}] {{ {layer} }}");
                (layer, probe)
            }
            Shape::Flat(f) => {
                let layer = if rng.chance(50) {
                    format!(
                        "linear({f}, {}{})",
                        rng.range(1, 16),
                        if rng.chance(20) { ", bias = false" } else { "" }
                    )
                } else if rng.chance(30) {
                    format!("dropout({})", rng.pick(&["0.1", "0.5"]))
                } else {
                    activation(rng)
                };
                let probe = format!("struct T: [{f}, 1, 1] {{ flatten {layer} }}");
                (layer, probe)
            }
        };
        let Some(probed) = analyze(&probe) else {
            continue;
        };
        let output = probed.output();
        if output.dims().iter().product::<u64>() > 4096 || output.dims().iter().any(|&d| d > 64) {
            continue;
        }
        layers.push(candidate);
        shape = output;
    }
    let [c, h, w] = input;
    format!(
        "    #[allow(deprecated)]\n    pub struct {name}: [{c}, {h}, {w}] {{\n        {}\n    }}\n",
        layers.join("\n        ")
    )
}

/// Up to `length` random map layers from `shape`, each probed alone; the
/// layers and the shape after them.
fn run_of_layers(rng: &mut Rng, mut shape: [u64; 3], length: u64) -> (Vec<String>, [u64; 3]) {
    let mut layers = Vec::new();
    let mut attempts = 0;
    while (layers.len() as u64) < length && attempts < 100 {
        attempts += 1;
        let [c, h, w] = shape;
        let layer = map_layer(rng, c);
        let Some(probed) = analyze(&format!("struct T: [{c}, {h}, {w}] {{ {layer} }}")) else {
            continue;
        };
        let Shape::Map(c, size) = probed.output() else {
            continue;
        };
        let [h, w] = size.last_two();
        let out = [c, h, w];
        if out.iter().product::<u64>() > 4096 || out.iter().any(|&d| d > 64) {
            continue;
        }
        layers.push(layer);
        shape = out;
    }
    (layers, shape)
}

/// A random network of `residual` (with a 1×1 projection shortcut when the
/// body changes the channels) and `concat {} { … }` blocks around random
/// layers, ending in `flatten linear`.
fn block_net(rng: &mut Rng, index: usize) -> String {
    let input = [rng.range(1, 4), rng.range(4, 16), rng.range(4, 16)];
    let name = format!("Blocks{index:02}");
    let mut parts = Vec::new();
    let mut shape = input;
    for _ in 0..rng.range(2, 5) {
        let [c, h, w] = shape;
        match rng.range(0, 2) {
            0 => {
                let length = rng.range(1, 3);
                let (body, [co, ho, wo]) = run_of_layers(rng, shape, length);
                if [ho, wo] != [h, w] || body.is_empty() {
                    continue;
                }
                let shortcut = if co == c {
                    String::new()
                } else {
                    format!(" shortcut {{ conv({c}, {co}, 1) }}")
                };
                parts.push(format!("residual {{ {} }}{shortcut}", body.join(" ")));
                shape = [co, h, w];
            }
            1 => {
                let length = rng.range(1, 3);
                let (branch, [co, ho, wo]) = run_of_layers(rng, shape, length);
                if [ho, wo] != [h, w] || branch.is_empty() || c + co > 64 {
                    continue;
                }
                parts.push(format!("concat {{}} {{ {} }}", branch.join(" ")));
                shape = [c + co, h, w];
            }
            _ => {
                let (layers, out) = run_of_layers(rng, shape, 1);
                parts.extend(layers);
                shape = out;
            }
        }
    }
    network(rng, &name, input, parts, shape)
}

/// A random network of the classification zoo's forms around random layers:
/// squeeze-and-excitation gates, full-size gates, splits into 2–4 branches,
/// ConvNeXt-style channels-last stretches with layer scale, `layernorm2d`;
/// ending in `flatten linear`.
fn zoo_net(rng: &mut Rng, index: usize) -> String {
    let input = [2 * rng.range(1, 4), rng.range(4, 12), rng.range(4, 12)];
    let name = format!("Zoo{index:02}");
    let mut parts = Vec::new();
    let mut shape = input;
    for _ in 0..rng.range(2, 6) {
        let c = shape[0];
        match rng.range(0, 5) {
            0 => {
                let s = rng.range(1, 4);
                parts.push(format!(
                    "multiply {{}} {{ adaptive_avgpool(1) conv({c}, {s}, 1) relu conv({s}, {c}, 1) sigmoid }}"
                ));
            }
            1 => parts.push(format!(
                "multiply {{ conv({c}, {c}, 3, padding = 1) }} {{ conv({c}, {c}, 1) hardsigmoid }}"
            )),
            2 => {
                let k = [2, 3, 4]
                    .into_iter()
                    .rfind(|k| c.is_multiple_of(*k))
                    .unwrap_or(1);
                if k == 1 {
                    continue;
                }
                let part = c / k;
                let branches: Vec<String> = (0..k)
                    .map(|i| match (i + rng.range(0, 2)) % 3 {
                        0 => "{}".to_string(),
                        1 => format!(
                            "{{ conv({part}, {part}, 3, padding = 1, groups = {part}) relu }}"
                        ),
                        _ => format!("{{ layernorm2d({part}) conv({part}, {part}, 1) }}"),
                    })
                    .collect();
                parts.push(format!("split {}", branches.join(" ")));
            }
            3 => {
                let wide = c * rng.range(2, 4);
                parts.push(format!(
                    "residual {{ conv({c}, {c}, 3, padding = 1, groups = {c}) permute(0, 2, 3, 1) layernorm({c}, eps = 1e-6) linear({c}, {wide}) gelu linear({wide}, {c}) permute(0, 3, 1, 2) scale({c}, init = 0.5) stochastic_depth(0.1) }}"
                ));
            }
            _ => {
                let (layers, out) = run_of_layers(rng, shape, 1);
                if out[0] % 2 == 1 && out[0] > 1 {
                    continue;
                }
                parts.extend(layers);
                shape = out;
            }
        }
    }
    network(rng, &name, input, parts, shape)
}

/// A network of `parts` on `input`, ended by `flatten linear` from `shape`.
fn network(
    rng: &mut Rng,
    name: &str,
    input: [u64; 3],
    mut parts: Vec<String>,
    shape: [u64; 3],
) -> String {
    let [c, h, w] = shape;
    parts.push(format!(
        "flatten linear({}, {})",
        c * h * w,
        rng.range(1, 8)
    ));
    let [ic, ih, iw] = input;
    format!(
        "    #[allow(deprecated)]\n    pub struct {name}: [{ic}, {ih}, {iw}] {{\n        {}\n    }}\n",
        parts.join("\n        ")
    )
}

fn generated() -> String {
    let mut rng = Rng(SEED);
    let mut chains: Vec<String> = (0..CHAINS).map(|i| chain(&mut rng, i)).collect();
    let mut names: Vec<String> = (0..CHAINS).map(|i| format!("Chain{i:02}")).collect();
    // A generator of its own, so that the chains above stay as they were.
    let mut rng = Rng(SEED ^ 0xb10c);
    chains.extend((0..BLOCK_NETS).map(|i| block_net(&mut rng, i)));
    names.extend((0..BLOCK_NETS).map(|i| format!("Blocks{i:02}")));
    let mut rng = Rng(SEED ^ 0x200);
    chains.extend((0..ZOO_NETS).map(|i| zoo_net(&mut rng, i)));
    names.extend((0..ZOO_NETS).map(|i| format!("Zoo{i:02}")));
    for (text, name) in chains.iter().zip(&names) {
        let net = analyze(text).unwrap_or_else(|| panic!("{name} does not check:\n{text}"));
        assert!(!net.layers.is_empty(), "{name} is empty");
    }
    format!(
        r#"//! Generated by `cnn-core/tests/random_chains.rs`; do not edit (re-bless with
//! `CNN_BLESS=1 cargo test -p cnn-core --test random_chains`).
//!
//! {CHAINS} random valid chains over every layer kind, {BLOCK_NETS} random
//! networks of residual and concat blocks around them, and {ZOO_NETS} of gates,
//! splits and channels-last stretches. Property: the module the
//! macro emits returns exactly `[N] + OUTPUT_SHAPE` of finite numbers (as many as
//! that shape holds, read back as `f32`, or the test fails) on a random
//! batch, and its `num_params()` equals `PARAMS` (plus batchnorm's running
//! statistics, which burn counts and PyTorch does not), on flex and on ndarray;
//! on four other input sizes, `try_forward` returns exactly the dims
//! `summary_for` predicts, or exactly its error.

use cnn::burn::module::Module;
use cnn::burn::tensor::{{Device, Distribution, Tensor}};

cnn::cnn! {{
{}}}

macro_rules! check_chains {{
    ($device:expr, $($net:ident),+ $(,)?) => {{{{
        let device: &Device = $device;
        let mut failures: Vec<String> = Vec::new();
        let (mut ran, mut refused) = (0, 0);
        $(
            let net = $net::init(device);
            let [c, h, w] = $net::INPUT_SHAPE;
            let input = Tensor::<4>::random([3, c, h, w], Distribution::Normal(0.0, 1.0), device);
            let output = net.forward(input);
            let expected: Vec<usize> = [3].into_iter().chain($net::OUTPUT_SHAPE).collect();
            if output.dims().to_vec() != expected {{
                failures.push(format!("{{}}: output {{:?}}, OUTPUT_SHAPE says {{:?}}", stringify!($net), output.dims(), expected));
            }}
            // burn also counts batchnorm's running mean and variance (2·C),
            // which PyTorch, and so PARAMS, leave out.
            let running_statistics: usize = $net::LAYERS
                .iter()
                .filter(|layer| layer.kind == cnn::LayerKind::Batchnorm)
                .map(|layer| 2 * layer.output_shape[0])
                .sum();
            if net.num_params() != $net::PARAMS + running_statistics {{
                failures.push(format!("{{}}: num_params() = {{}}, PARAMS = {{}} (+ {{}} running statistics)", stringify!($net), net.num_params(), $net::PARAMS, running_statistics));
            }}
            let values: Vec<f32> = output.into_data().convert::<f32>().try_into_vec::<f32>().expect("the output converts to f32");
            if values.len() != expected.iter().product::<usize>() || values.iter().any(|v| !v.is_finite()) {{
                failures.push(format!("{{}}: a value that is not finite", stringify!($net)));
            }}
            // Other sizes: `try_forward` returns exactly the dims `summary_for`
            // predicts, or exactly its error.
            for size in [[c, h + 3, w + 5], [c, 2 * h, w], [c, h.max(3) - 2, w + 1], [c, 1, 1]] {{
                let input = Tensor::<4>::random([2, size[0], size[1], size[2]], Distribution::Normal(0.0, 1.0), device);
                match ($net::summary_for(size), net.try_forward(input)) {{
                    (Ok(summary), Ok(output)) => {{
                        ran += 1;
                        let expected: Vec<usize> = [2].into_iter().chain(summary.output_shape().iter().copied()).collect();
                        if output.dims().to_vec() != expected {{
                            failures.push(format!("{{}} on {{size:?}}: output {{:?}}, summary_for says {{expected:?}}", stringify!($net), output.dims()));
                        }}
                    }}
                    (Err(predicted), Err(error)) if predicted.message == error.message && predicted.layer == error.layer => refused += 1,
                    (predicted, got) => failures.push(format!("{{}} on {{size:?}}: summary_for {{:?}}, try_forward {{:?}}", stringify!($net), predicted.map(|s| s.output_shape().to_vec()), got.map(|o| o.dims().to_vec()))),
                }}
            }}
        )+
        assert!(failures.is_empty(), "{{}}", failures.join("\n"));
        // Of the 352 other sizes, most run and many are refused (measured: 231 and 121).
        assert!(ran >= 200 && refused >= 100, "{{ran}} ran, {{refused}} refused");
    }}}};
}}

#[test]
fn every_random_chain_returns_its_output_shape_and_parameter_count_on_flex() {{
    check_chains!(&cnn::flex(), {});
}}

#[test]
fn every_random_chain_returns_its_output_shape_and_parameter_count_on_ndarray() {{
    check_chains!(&cnn::ndarray(), {});
}}
"#,
        chains.join(""),
        names.join(", "),
        names.join(", ")
    )
}

#[test]
fn the_generated_random_chains_are_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/random_chains/generated.rs");
    let fresh = generated();
    if std::env::var_os("CNN_BLESS").is_some() {
        std::fs::write(&path, &fresh).expect("write tests/random_chains/generated.rs");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "tests/random_chains/generated.rs is stale: run `CNN_BLESS=1 cargo test -p cnn-core --test random_chains`"
    );
}
