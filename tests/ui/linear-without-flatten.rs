cnn::cnn! {
    struct Net: [1, 28, 28] {
        conv(1, 16, 5) relu maxpool(2) maxpool(3)
        linear(256, 10)
    }
}

fn main() {}
