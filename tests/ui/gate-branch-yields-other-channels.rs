// A gate multiplies its branches: they end at the same channels.
cnn::cnn! {
    struct Net: [16, 8, 8] {
        multiply {} { adaptive_avgpool(1) conv(16, 4, 1) relu conv(4, 8, 1) sigmoid }
    }
}

fn main() {}
