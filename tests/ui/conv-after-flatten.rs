cnn::cnn! {
    struct Net: [1, 28, 28] {
        conv(1, 6, 5) flatten conv(6, 16, 5)
    }
}

fn main() {}
