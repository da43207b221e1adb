// A block's body reads only its own wires and `input`, not its caller's.
cnn::cnn! {
    block head(c) { from(stem) conv(c, c, 1) }
    struct Net: [3, 16, 16] {
        conv(3, 8, 3, padding = 1) as stem relu head(8) from(stem)
    }
}

fn main() {}
