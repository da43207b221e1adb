cnn::cnn! {
    struct Net: [3, 16, 16] {
        upsample(mode = bilinear)
    }
}

fn main() {}
