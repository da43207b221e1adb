// A network's outputs stand in its own lists, not in a block's body.
cnn::cnn! {
    block head(c) { conv(c, c, 1) output(aux) }
    struct Net: [3, 16, 16] {
        conv(3, 8, 3, padding = 1) head(8)
    }
}

fn main() {}
