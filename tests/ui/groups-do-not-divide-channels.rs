cnn::cnn! {
    struct Net: [6, 16, 16] {
        conv(6, 16, 3, groups = 4)
    }
}

fn main() {}
