cnn::cnn! {
    struct Net<B>: [1, 28, 28] {
        relu
    }
}

fn main() {}
