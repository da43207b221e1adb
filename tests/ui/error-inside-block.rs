// A mistake inside a block points into the block's body and says which use.
cnn::cnn! {
    block stage(c_in, c_out) {
        conv(c_in, c_out, 3, padding = 1) batchnorm(c_in) relu
    }
    struct Net: [3, 32, 32] {
        stage(3, 3)
        stage(3, 16)
    }
}

fn main() {}
