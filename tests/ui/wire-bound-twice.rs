// A wire is bound once: the second `as stem` would hide the first.
cnn::cnn! {
    struct Net: [3, 16, 16] {
        conv(3, 8, 3, padding = 1) as stem relu as stem from(stem)
    }
}

fn main() {}
