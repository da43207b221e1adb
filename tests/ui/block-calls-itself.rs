// Blocks cannot recurse: the compiler refuses the call that closes the cycle
// instead of expanding forever.
cnn::cnn! {
    block a(c) { conv(c, c, 1) b(c) }
    block b(c) { relu a(c) }
    struct Net: [4, 8, 8] {
        a(4)
    }
}

fn main() {}
