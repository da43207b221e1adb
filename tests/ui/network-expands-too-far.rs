// Blocks that call blocks multiply: 40 · 40 · 40 = 64,000 layers. The compiler
// stops at 20,000 instead of expanding (and hanging) further.
cnn::cnn! {
    block a(c) { repeat(40) { relu } }
    block b(c) { repeat(40) { a(c) } }
    struct Net: [8, 8, 8] {
        repeat(40) { b(8) }
    }
}

fn main() {}
