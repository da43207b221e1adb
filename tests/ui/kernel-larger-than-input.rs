cnn::cnn! {
    struct Net: [3, 4, 4] {
        conv(3, 8, 5)
    }
}

fn main() {}
