cnn::cnn! {
    struct Net: [3, 32, 32] {
        maxpool(3, padding = 2)
    }
}

fn main() {}
