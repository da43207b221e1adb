// `x + body(x)` needs the body to keep its input's shape; this body halves
// H×W and doubles the channels, so the input must be projected.
cnn::cnn! {
    struct Net: [64, 56, 56] {
        residual {
            conv(64, 128, 3, stride = 2, padding = 1, bias = false) batchnorm(128) relu
            conv(128, 128, 3, padding = 1, bias = false) batchnorm(128)
        }
        relu
    }
}

fn main() {}
