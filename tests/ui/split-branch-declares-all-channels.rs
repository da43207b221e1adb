// Each branch of a split receives its share, not the whole input.
cnn::cnn! {
    struct Net: [116, 8, 8] {
        split {} { conv(116, 58, 1) }
    }
}

fn main() {}
