//! Property test: random valid layer chains over every layer kind, written
//! as `cnn!` networks by `cnn-core/tests/random_chains.rs`, must compute what
//! their constants say: `forward` returns `[N] + OUTPUT_SHAPE` and
//! `num_params()` equals `PARAMS` (plus batchnorm's running statistics, which
//! burn counts and PyTorch does not), on flex and on ndarray.

#[rustfmt::skip]
#[path = "random_chains/generated.rs"]
mod generated;
