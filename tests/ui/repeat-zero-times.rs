cnn::cnn! {
    struct Net: [8, 8, 8] {
        repeat(0) { conv(8, 8, 3, padding = 1) }
    }
}

fn main() {}
