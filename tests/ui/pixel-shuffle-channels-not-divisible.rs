cnn::cnn! {
    struct Net: [3, 16, 16] {
        conv(3, 8, 3, padding = 1) pixel_shuffle(3)
    }
}

fn main() {}
