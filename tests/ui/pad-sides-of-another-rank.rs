cnn::cnn! {
    struct Tcn: [8, 100] {
        zeropad((2, 0, 0, 0)) conv(8, 8, 3, dilation = 1)
    }
}

fn main() {}
