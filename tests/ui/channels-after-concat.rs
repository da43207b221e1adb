// A concat yields the sum of its branches' channels.
cnn::cnn! {
    struct Dense: [64, 16, 16] {
        concat {} { conv(64, 64, 3, padding = 1) }
        conv(64, 32, 1)
    }
}

fn main() {}
