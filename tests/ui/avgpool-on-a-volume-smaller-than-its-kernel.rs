cnn::cnn! {
    struct Volume: [1, 8, 2, 16] {
        avgpool(3, stride = 1, padding = 1)
    }
}

fn main() {}
