// `split` hands each branch an equal share of the channels.
cnn::cnn! {
    struct Net: [30, 8, 8] {
        split {} { conv(7, 7, 1) } {} {}
    }
}

fn main() {}
