// The first repetition fits; the second gets 16 channels where 8 are declared.
cnn::cnn! {
    struct Net: [8, 32, 32] {
        repeat(3) { conv(8, 16, 3, padding = 1) relu }
    }
}

fn main() {}
