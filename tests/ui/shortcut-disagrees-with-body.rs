// The projection shortcut forgot its stride: it keeps 56×56, the body halves it.
cnn::cnn! {
    struct Net: [64, 56, 56] {
        residual {
            conv(64, 128, 3, stride = 2, padding = 1) relu conv(128, 128, 3, padding = 1)
        } shortcut {
            conv(64, 128, 1)
        }
    }
}

fn main() {}
