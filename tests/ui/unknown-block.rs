// A misspelt block name: did-you-mean looks at layers and blocks.
cnn::cnn! {
    block basic(c) {
        residual { conv(c, c, 3, padding = 1) }
    }
    struct Net: [16, 8, 8] {
        basci(16)
    }
}

fn main() {}
