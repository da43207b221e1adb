// A body that pools to 1×1 computes a gate; `residual` would add it, and a
// projection shortcut would compile into another network: the help is the
// gate's own form, `multiply {} { … }`.
cnn::cnn! {
    struct Net: [32, 8, 8] {
        residual {
            adaptive_avgpool(1) conv(32, 8, 1) relu conv(8, 32, 1) hardsigmoid
        }
    }
}

fn main() {}
