cnn::cnn! {
    struct Net: [3, 32, 32] {
        conv(3, 16, 3, stride = 2, padding = same)
    }
}

fn main() {}
