// Seed 001: a 7×7 input, kernel 3, stride 3: the last row and column are never
// read. Legal, so it is a warning; denied here to show its text.
#![deny(deprecated)]

cnn::cnn! {
    struct Skip: [1, 7, 7] {
        conv(1, 1, 3, stride = 3, bias = false)
    }
}

fn main() {}
