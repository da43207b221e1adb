cnn::cnn! {
    struct Audio: [4, 16000] {
        conv(4, 16, 9, padding = 4) pixel_shuffle(2)
    }
}

fn main() {}
