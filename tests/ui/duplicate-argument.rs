cnn::cnn! {
    struct Net: [3, 16, 16] {
        conv(3, 8, 3, 2, stride = 2)
    }
}

fn main() {}
