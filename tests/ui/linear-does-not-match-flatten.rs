cnn::cnn! {
    struct Net: [1, 28, 28] {
        conv(1, 6, 5) relu maxpool(2)
        flatten
        linear(400, 120) relu
        linear(120, 10)
    }
}

fn main() {}
