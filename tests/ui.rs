//! Compile-fail tests: each file in tests/ui holds one mistake and the blessed
//! compiler output (`TRYBUILD=overwrite cargo test --test ui` to re-bless,
//! then read the diff). The .stderr files belong to the toolchain pinned in
//! rust-toolchain.toml.

#[test]
fn every_rejection_is_a_spanned_error_on_the_offending_layer() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
