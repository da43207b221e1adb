// `add` sums branches of one shape; nothing is broadcast. The note traces
// where each branch's size came from.
cnn::cnn! {
    struct Net: [3, 16, 16] {
        conv(3, 8, 3, padding = 1) as c1
        conv(8, 8, 3, stride = 2, padding = 1)
        add { } { from(c1) }
    }
}

fn main() {}
