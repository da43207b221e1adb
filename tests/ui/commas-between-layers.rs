cnn::cnn! {
    struct Net: [1, 28, 28] {
        conv(1, 6, 5), relu
    }
}

fn main() {}
