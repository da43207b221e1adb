//! Names are PyTorch keys, written as they are in the state_dict: a Rust
//! keyword (`fn`, `self`, `_`, `abstract`) or a string that is no Rust
//! identifier (`"block1-0"`) stays the key in the twin, the layer table and
//! the files; the burn field is derived from it (`fn_`, `self_`, `__`,
//! `block1_0`).

mod common;

use cnn::burn::module::Module;
use cnn::cnn;

cnn! {
    block unit(c) {
        "conv-a": conv(c, c, 3, padding = 1) type: batchnorm(c) relu
    }

    /// One name of each class: strict keywords, reserved ones, the path
    /// keywords and `_`, and strings.
    pub struct Keywords: [2, 6, 6] {
        fn: conv(2, 4, 3, padding = 1) struct: batchnorm(4) relu
        self: { conv(4, 4, 1) } Self: { conv(4, 4, 1) }
        super: unit(4) crate: unit(4)
        abstract: conv(4, 4, 1) yield: conv(4, 4, 1) async: conv(4, 4, 1)
        _: conv(4, 4, 1)
        "block1-0": unit(4) "stage 2": { conv(4, 4, 1) }
        adaptive_avgpool(1) flatten
        true: linear(4, 3)
    }
}

fn keys() -> Vec<&'static str> {
    Keywords::LAYERS
        .iter()
        .filter(|l| l.kind.is_layer() && l.field.is_some())
        .map(|l| l.path)
        .collect()
}

#[test]
fn keyword_and_string_names_are_the_keys_as_written() {
    assert_eq!(
        keys(),
        [
            "fn",
            "struct",
            "self.0",
            "Self.0",
            "super.conv-a",
            "super.type",
            "crate.conv-a",
            "crate.type",
            "abstract",
            "yield",
            "async",
            "_",
            "block1-0.conv-a",
            "block1-0.type",
            "stage 2.0",
            "13",
            "true",
        ]
    );
}

#[test]
fn keyword_and_string_names_become_valid_distinct_fields() {
    let fields: Vec<&str> = Keywords::LAYERS
        .iter()
        .filter(|l| l.kind.is_layer())
        .filter_map(|l| l.field)
        .collect();
    assert!(fields.contains(&"fn_"), "{fields:?}");
    assert!(fields.contains(&"self_.conv1"), "{fields:?}");
    assert!(fields.contains(&"Self_.conv1"), "{fields:?}");
    assert!(fields.contains(&"__"), "{fields:?}");
    assert!(fields.contains(&"block1_0.conv_a"), "{fields:?}");
    assert!(fields.contains(&"stage_2.conv1"), "{fields:?}");
    assert!(fields.contains(&"true_"), "{fields:?}");
}

#[test]
fn the_twin_adds_modules_under_the_names_as_written() {
    let twin = Keywords::PYTORCH;
    for key in [
        "\"fn\"",
        "\"self\"",
        "\"_\"",
        "\"block1-0\"",
        "\"conv-a\"",
        "\"stage 2\"",
    ] {
        assert!(
            twin.contains(&format!("self.add_module({key}, ")),
            "{key} in\n{twin}"
        );
    }
}

#[test]
fn a_file_with_the_keys_as_written_loads_and_saves_them_back() {
    let device = cnn::flex();
    let net = Keywords::init(&device);
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join("keywords.safetensors");
    net.save_safetensors(&path).expect("saves");
    let loaded = Keywords::load_safetensors(&path, &device).expect("loads strictly");
    assert_eq!(loaded.num_params(), net.num_params());
    let bytes = std::fs::read(&path).expect("reads");
    let file = safetensors::SafeTensors::deserialize(&bytes).expect("safetensors");
    let mut names: Vec<String> = file.names().into_iter().map(String::from).collect();
    names.sort();
    assert!(
        names.contains(&"block1-0.conv-a.weight".to_string()),
        "{names:?}"
    );
    assert!(names.contains(&"fn.weight".to_string()), "{names:?}");
    assert!(names.contains(&"_.bias".to_string()), "{names:?}");
    assert!(names.contains(&"stage 2.0.weight".to_string()), "{names:?}");
    let _ = std::fs::remove_file(path);
}
