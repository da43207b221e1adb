// A mistake that no argument explains stays in the block's body: the second
// repetition of `repeat` receives 2·c channels, whatever `c` is.
cnn::cnn! {
    block down(c) {
        repeat(2) { conv(c, c * 2, 3, padding = 1) relu }
    }
    struct Net: [3, 32, 32] {
        conv(3, 16, 3, padding = 1)
        down(16)
    }
}

fn main() {}
