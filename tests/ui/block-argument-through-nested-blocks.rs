// An argument passed on through blocks (a → b → c) is blamed where its value
// is written; the notes follow it to the layer it reaches.
cnn::cnn! {
    block c(z) {
        conv(z, 32, 3, padding = 1) relu
    }
    block b(y) {
        c(y)
    }
    block a(x) {
        b(x)
    }
    struct Net: [3, 32, 32] {
        conv(3, 16, 3, padding = 1)
        a(24)
    }
}

fn main() {}
