cnn::cnn! {
    struct Net: [1, 28, 28] {
        conv(1, 6, 5) relu maxpool(2)
        conv(3, 16, 5) relu
    }
}

fn main() {}
