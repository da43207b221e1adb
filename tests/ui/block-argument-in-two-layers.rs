// A parameter used by two layers: the first that it does not fit reports at
// the call, the second stays silent (one mistake, one error).
cnn::cnn! {
    block stage(c) {
        conv(c, c, 3, padding = 1) batchnorm(c) relu
    }
    struct Net: [3, 32, 32] {
        conv(3, 16, 3, padding = 1)
        stage(8)
    }
}

fn main() {}
