// A string name is a key like any other: once per layer list.
cnn::cnn! {
    struct Net: [8, 8, 8] {
        "block1-0": conv(8, 8, 1) "block1-0": conv(8, 8, 1)
    }
}

fn main() {}
