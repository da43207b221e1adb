use cnn::cnn;

cnn! {
    struct Net: [3, 8, 8] {
        "layer1.conv": conv(3, 4, 1) "3": conv(4, 4, 1) "": relu
        flatten linear(256, 10)
    }
}

fn main() {}
