cnn::cnn! {
    struct Clip: [3, 16, 112, 112] {
        conv(3, 64, (7, 7), stride = (1, 2, 2), padding = (1, 3, 3))
    }
}

fn main() {}
