cnn::cnn! {
    struct Net: [3, 32, 32] {
        conv(3, 16, 3) batchnorm(32) relu
    }
}

fn main() {}
