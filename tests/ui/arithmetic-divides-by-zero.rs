use cnn::cnn;

cnn! {
    block widen(c, t) {
        conv(c, c * t, 1) conv(c * t, c / (t - 4), 1)
    }

    struct Net: [8, 8, 8] {
        widen(8, 4)
        flatten linear(512, 10)
    }
}

fn main() {}
