cnn::cnn! {
    struct Net: [1, 28, 28] {
        flatten dropout(1.0) linear(784, 10)
    }
}

fn main() {}
