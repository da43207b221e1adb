cnn::cnn! {
    struct Mlp: [784] {
        linear(784, 10)
    }
}

fn main() {}
