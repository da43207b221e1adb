cnn::cnn! {
    struct Net: [3, 16, 16] {
        conv(3, 8, 4, stride = 4) reflectionpad(4)
    }
}

fn main() {}
