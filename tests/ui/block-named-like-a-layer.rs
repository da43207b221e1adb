cnn::cnn! {
    block conv(c) { relu }
    struct Net: [8, 8, 8] { relu }
}

fn main() {}
