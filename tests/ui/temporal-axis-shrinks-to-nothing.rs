cnn::cnn! {
    struct Clip: [3, 4, 64, 64] {
        conv(3, 16, 3, padding = 1) maxpool(2) maxpool(2) maxpool(2)
    }
}

fn main() {}
