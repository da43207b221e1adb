cnn::cnn! {
    struct Net: [3, 15, 16] {
        conv(3, 8, 3, padding = 1) pixel_unshuffle(2)
    }
}

fn main() {}
