//! Raw identifiers and Rust keywords in every position where `cnn!` reads an
//! identifier: each is accepted with the meaning of the plain name (the
//! expansion equals the plain spelling's) or refused with an error on
//! exactly that word; never a panic, and the expansion is always Rust.

use super::*;

/// The expansion of `src` as text, and each error with the text it points at.
fn run(src: &str) -> (String, Vec<(String, String)>) {
    let full = format!("::cnn_runtime, {src}");
    let tokens: proc_macro2::TokenStream = full.parse().expect("tokenizes");
    let expansion = std::panic::catch_unwind(|| crate::expand(tokens.clone()))
        .unwrap_or_else(|_| panic!("the macro panicked on {src}"));
    if let Err(error) = syn::parse2::<syn::File>(expansion.clone()) {
        panic!("the expansion of {src} is not Rust: {error}");
    }
    let errors: Vec<syn::Error> = match crate::analyze(tokens) {
        Err(error) => error.into_iter().collect(),
        Ok((_, cx)) => cx.errors().to_vec(),
    };
    let errors = errors
        .iter()
        .map(|e| {
            // One line of source: columns are character offsets into it.
            let (start, end) = (e.span().start().column, e.span().end().column);
            let under: String = full.chars().skip(start).take(end - start).collect();
            (e.to_string(), under)
        })
        .collect();
    (expansion.to_string(), errors)
}

/// `written` is accepted, and means what `plain` means.
fn same(written: &str, plain: &str) {
    let (expansion, errors) = run(written);
    assert!(errors.is_empty(), "{written}: {errors:#?}");
    let (plain_expansion, plain_errors) = run(plain);
    assert!(plain_errors.is_empty(), "{plain}: {plain_errors:#?}");
    assert_eq!(expansion, plain_expansion, "{written} ≠ {plain}");
}

/// `src` is refused with an error on `word`, whose message contains `says`.
fn refused(src: &str, word: &str, says: &str) {
    let (expansion, errors) = run(src);
    assert!(expansion.contains("compile_error"), "{src}");
    assert!(
        errors
            .iter()
            .any(|(message, under)| under == word && message.contains(says)),
        "{src}: expected an error on `{word}` saying {says:?}, got {errors:#?}"
    );
}

const NET: &str = "pub struct R: [8, 16, 16]";

#[test]
fn a_raw_layer_name_is_the_layer_and_a_keyword_is_an_unknown_layer() {
    same(
        &format!("{NET} {{ r#conv(8, 8, 3) r#relu }}"),
        &format!("{NET} {{ conv(8, 8, 3) relu }}"),
    );
    refused(
        &format!("{NET} {{ fn(8, 8, 3) }}"),
        "fn",
        "unknown layer `fn`",
    );
    refused(
        &format!("{NET} {{ r#fn(8, 8, 3) }}"),
        "r#fn",
        "unknown layer `fn`",
    );
}

#[test]
fn a_raw_word_of_cnn_is_refused_on_it_with_the_plain_spelling() {
    for (src, word) in [
        ("r#residual { relu }", "r#residual"),
        ("r#concat { relu } { relu }", "r#concat"),
        ("r#repeat(2) { relu }", "r#repeat"),
        ("residual { relu } r#shortcut { relu }", "r#shortcut"),
    ] {
        let plain = word.trim_start_matches("r#");
        refused(
            &format!("{NET} {{ {src} }}"),
            word,
            &format!("help: write `{plain}`"),
        );
    }
}

#[test]
fn a_raw_block_name_is_the_block_and_a_keyword_needs_the_raw_spelling() {
    let body = "{ conv(i, 8, 3) }";
    same(
        &format!("block r#fn(i) {body} {NET} {{ fn(8) r#fn(8) }}"),
        &format!("block r#fn(i) {body} {NET} {{ r#fn(8) fn(8) }}"),
    );
    same(
        &format!("block r#down(i) {body} {NET} {{ down(8) }}"),
        &format!("block down(i) {body} {NET} {{ r#down(8) }}"),
    );
    refused(
        &format!("block fn(i) {body} {NET} {{ fn(8) }}"),
        "fn",
        "help: write `r#fn`",
    );
    refused(
        &format!("block r#residual(i) {body} {NET} {{ relu }}"),
        "r#residual",
        "a keyword of `cnn!`",
    );
}

#[test]
fn a_raw_node_name_is_keyed_by_the_name_without_its_prefix() {
    same(
        &format!("{NET} {{ r#fn: conv(8, 8, 3) r#conv1: relu }}"),
        &format!("{NET} {{ fn: conv(8, 8, 3) conv1: relu }}"),
    );
    refused(
        &format!("{NET} {{ r#fn: conv(8, 8, 3) fn: relu }}"),
        "fn",
        "`fn` names two modules",
    );
}

#[test]
fn a_raw_block_parameter_is_read_by_either_spelling() {
    same(
        &format!("block b(r#type, r#o) {{ conv(type, r#o, 3) }} {NET} {{ b(8, 4) }}"),
        &format!("block b(r#type, o) {{ conv(r#type, o, 3) }} {NET} {{ b(8, 4) }}"),
    );
    refused(
        &format!("block b(type) {{ conv(type, 8, 3) }} {NET} {{ b(8) }}"),
        "type",
        "expected",
    );
}

#[test]
fn a_raw_or_keyword_block_argument_is_an_error_on_it() {
    let down = "block down(i, o) { conv(i, o, 3, stride = 2, padding = 1) }";
    for word in ["r#struct", "struct", "r#fn", "self", "r#o"] {
        refused(
            &format!("{down} {NET} {{ down(8, {word}) flatten }}"),
            word,
            "expects a positive integer",
        );
    }
    // A raw argument that names the caller's parameter is that parameter.
    same(
        &format!("{down} block up(r#in) {{ down(r#in, 4) }} {NET} {{ up(8) }}"),
        &format!("{down} block up(r#in) {{ down(in, 4) }} {NET} {{ up(8) }}"),
    );
}

#[test]
fn a_raw_keyword_argument_name_or_value_is_the_plain_one() {
    same(
        &format!("{NET} {{ conv(8, 8, 3, r#dilation = 2, r#padding = r#same) }}"),
        &format!("{NET} {{ conv(8, 8, 3, dilation = 2, padding = same) }}"),
    );
    same(
        &format!("{NET} {{ upsample(scale_factor = 2, mode = r#bilinear) }}"),
        &format!("{NET} {{ upsample(scale_factor = 2, mode = bilinear) }}"),
    );
    refused(
        &format!("{NET} {{ conv(8, 8, 3, fn = 2) }}"),
        "fn",
        "no argument `fn`",
    );
    refused(
        &format!("{NET} {{ conv(8, 8, 3, r#fn = 2) }}"),
        "r#fn",
        "no argument `fn`",
    );
    refused(
        &format!("{NET} {{ upsample(scale_factor = 2, mode = r#fn) }}"),
        "r#fn",
        "`mode` expects",
    );
}

#[test]
fn a_raw_wire_is_the_wire_of_the_plain_name() {
    same(
        &format!("{NET} {{ conv(8, 8, 3, padding = 1) as r#fn relu add {{}} {{ from(fn) }} }}"),
        &format!("{NET} {{ conv(8, 8, 3, padding = 1) as fn relu add {{}} {{ from(r#fn) }} }}"),
    );
    same(
        &format!("{NET} {{ as_in: relu as r#in maxpool(2) upsample(like = r#in) from(r#input) }}"),
        &format!("{NET} {{ as_in: relu as in maxpool(2) upsample(like = in) from(input) }}"),
    );
    refused(
        &format!("{NET} {{ relu from(r#loop) }}"),
        "r#loop",
        "the wire `loop` is not bound",
    );
}

#[test]
fn a_raw_output_name_is_the_plain_name_and_its_field_escapes_keywords() {
    same(
        &format!("{NET} {{ conv(8, 8, 3) output(r#fn) output(r#aux) relu }}"),
        &format!("{NET} {{ conv(8, 8, 3) output(fn) output(aux) relu }}"),
    );
    let (expansion, _) = run(&format!("{NET} {{ conv(8, 8, 3) output(fn) relu }}"));
    assert!(expansion.contains("pub fn_ :"), "{expansion}");
}

#[test]
fn a_raw_network_name_names_the_struct_as_written() {
    let (expansion, errors) =
        run("pub struct r#fn: [8, 16, 16] { conv(8, 8, 3) output(aux) relu }");
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(expansion.contains("pub struct r#fn"), "{expansion}");
    assert!(expansion.contains("fnOutputs"), "{expansion}");
    refused(
        "pub struct fn: [8, 16, 16] { relu }",
        "fn",
        "expected identifier",
    );
}

#[test]
fn any_text_becomes_an_identifier_without_panicking() {
    for text in [
        "",
        "r#",
        "r#struct",
        "r#fn",
        "fn",
        "self",
        "Self",
        "_",
        "0",
        "1x",
        "a-b",
        "a.b",
        "r#r#x",
        "größe",
        "x y",
        "#",
        "r#_",
        "'a",
        "\u{0}",
        "__cnn_r#fn",
    ] {
        let made = ident(text, Span::call_site()).to_string();
        assert!(
            !made.is_empty() && !made.starts_with("r#"),
            "{text:?} → {made}"
        );
        let made = field(text).to_string();
        assert!(
            made.is_ascii() && !KEYWORDS.contains(&made.as_str()),
            "{text:?} → {made}"
        );
    }
}

#[test]
fn a_raw_identifier_is_spelled_without_its_prefix() {
    assert_eq!(ident("r#struct", Span::call_site()), "struct");
    assert_eq!(ident("größe", Span::call_site()), "größe");
    assert_eq!(field("r#fn"), "fn_");
    assert_eq!(field("block1-0"), "block1_0");
    assert_eq!(field("0"), "_0");
    assert_eq!(field("_"), "__");
}
