cnn::cnn! {
    struct Net: [1, 28, 28] {
        zeropad((1, 2, 3)) conv(1, 8, 3)
    }
}

fn main() {}
