cnn::cnn! {
    struct Net: [3, 16, 16] {
        conv(3, 8, 3) prelu(16)
    }
}

fn main() {}
