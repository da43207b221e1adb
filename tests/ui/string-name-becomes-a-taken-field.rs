use cnn::cnn;

cnn! {
    struct Net: [3, 8, 8] {
        block1_0: conv(3, 4, 1) "block1-0": conv(4, 4, 1)
        flatten linear(256, 10)
    }
}

fn main() {}
