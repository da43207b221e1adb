//! Blocks, merges and keys, checked without trybuild.

use crate::check::tests::{errors, network};
use crate::model::{RowKind, Shape};

#[test]
fn the_receptive_field_after_a_merge_is_its_widest_branch() {
    let net = network(
        "struct Net: [4, 32, 32] {
            concat { conv(4, 4, 1) } { conv(4, 4, 3, padding = 1) conv(4, 4, 3, padding = 1) }
        }",
    );
    let concat = net
        .rows
        .iter()
        .find(|r| r.kind == RowKind::Merge(crate::model::Merge::Concat))
        .expect("a concat row");
    assert_eq!(concat.receptive.map(|[_, h, _]| h.size.ceil()), Some(5));
    assert_eq!(concat.output, Shape::chw(8, 32, 32));
}

#[test]
fn flat_features_concatenate_and_add_too() {
    let net = network(
        "struct Net: [1, 4, 4] {
            flatten concat { linear(16, 8) } { linear(16, 4) }
            residual { linear(12, 12) relu }
        }",
    );
    assert_eq!(net.output, Shape::Flat(12));
}

#[test]
fn keys_count_positions_in_each_scope_and_names_replace_them() {
    let net = network(
        "block pair(c) { conv(c, c, 1) bn: batchnorm(c) }
        struct Net: [4, 8, 8] {
            stem: conv(4, 4, 3, padding = 1)
            relu
            residual { pair(4) } shortcut { proj: { conv(4, 4, 1) } }
            pair(4)
        }",
    );
    let paths: Vec<&str> = net.rows.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "stem", "1", "", "2", "2.0", "2.bn", "", "proj", "proj.0", "4", "4.0", "4.bn"
        ]
    );
}

#[test]
fn a_block_used_twice_with_one_mistake_reports_it_once() {
    let errors = errors(
        "block bad(c) { conv(c, c, 3) batchnorm(7) }
        struct Net: [4, 16, 16] { bad(4) bad(4) }",
    );
    assert_eq!(errors.len(), 1, "{errors:#?}");
}

#[test]
fn a_parameter_stands_for_a_keyword_value_and_a_repeat_count() {
    let net = network(
        "block stack(c, s, n) { repeat(n) { conv(c, c, 3, stride = s, padding = 1) } }
        struct Net: [2, 16, 16] { stack(2, 2, 3) }",
    );
    assert_eq!(net.output, Shape::chw(2, 2, 2));
}

#[test]
fn nesting_deeper_than_the_limit_is_a_parse_error_not_a_stack_overflow() {
    let depth = crate::ast::MAX_NESTING + 1;
    let src = format!(
        "struct Net: [1, 4, 4] {{ {}relu{} }}",
        "{ ".repeat(depth),
        " }".repeat(depth)
    );
    let tokens: proc_macro2::TokenStream = format!("krate, {src}").parse().expect("tokenizes");
    let error = crate::analyze(tokens).err().expect("a parse error");
    assert!(error.to_string().contains("nest at most"), "{error}");
}

#[test]
fn an_empty_body_repeated_two_to_the_sixty_four_times_stops_at_the_limit() {
    let errors = errors(
        "block a(n) { repeat(n) {} }
        struct Net: [1, 4, 4] { a(18446744073709551615) }",
    );
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(errors[0].contains("more than 20,000"), "{}", errors[0]);
}

#[test]
fn after_a_gate_broadcast_from_a_global_pool_the_receptive_field_is_the_whole_input() {
    let net = crate::check::tests::network(
        "struct N: [8, 16, 16] {
            conv(8, 8, 3, padding = 1)
            multiply {} { adaptive_avgpool(1) conv(8, 2, 1) relu conv(2, 8, 1) sigmoid }
            conv(8, 8, 3, padding = 1)
        }",
    );
    let last = net.layers.last().expect("layers");
    assert_eq!(last.receptive, None, "no window describes it");
    // A gate of equal sizes keeps the widest branch's window.
    let net = crate::check::tests::network(
        "struct N: [8, 16, 16] { multiply {} { conv(8, 8, 3, padding = 1) } conv(8, 8, 1) }",
    );
    let last = net.layers.last().expect("layers");
    assert!(last.receptive.is_some());
}

#[test]
fn a_residual_shrunk_by_a_block_argument_is_that_arguments_mistake_at_the_call() {
    let errors = errors(
        "block ir_hs(i, o, hidden, k, s, p) {
            conv(i, hidden, 1, bias = false) batchnorm(hidden) hardswish
            conv(hidden, hidden, k, stride = s, padding = p, groups = hidden, bias = false)
            batchnorm(hidden) hardswish
            conv(hidden, o, 1, bias = false) batchnorm(o)
        }
        block ir_hs_res(c, hidden, k, p) { residual { ir_hs(c, c, hidden, k, 1, p) } }
        struct Net: [40, 4, 4] { ir_hs_res(40, 120, 5, 2) ir_hs_res(40, 120, 5, 1) relu }",
    );
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let error = &errors[0];
    assert!(
        error.contains("help: write `ir_hs_res(40, 120, 5, 2)`: `padding = 2` keeps 4×4"),
        "{error}"
    );
    assert!(
        error.contains("as `p` of block `ir_hs_res`, it reaches `ir_hs(c, c, hidden, k, 1, p)`"),
        "{error}"
    );
    // A padding written in the body stays the body's mistake.
    let errors = errors_of_body();
    assert!(
        errors[0].contains("help: write `conv(120, 120, 5, padding = 2"),
        "{errors:#?}"
    );
}

fn errors_of_body() -> Vec<String> {
    errors(
        "block res(c) { residual { conv(c, c, 5, padding = 1) } }
        struct Net: [120, 4, 4] { res(120) }",
    )
}
