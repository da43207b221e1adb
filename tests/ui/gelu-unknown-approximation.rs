cnn::cnn! {
    struct Net: [1, 28, 28] {
        conv(1, 8, 3) gelu(approximate = sigmoid)
    }
}

fn main() {}
