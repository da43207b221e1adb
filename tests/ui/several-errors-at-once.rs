// Three independent mistakes, three errors, one compile.
cnn::cnn! {
    struct Net: [1, 28, 28] {
        cnov(1, 6, 5)
    }

    struct Other: [3, 32, 32] {
        conv(3, 8, 3, strid = 2)
        maxpool(2, padding = 2)
    }
}

fn main() {}
