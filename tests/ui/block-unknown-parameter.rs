cnn::cnn! {
    block stage(c_in, c_out) { conv(c_in, c_out, 3, padding = 1) }
    struct Net: [8, 8, 8] {
        stage(c_in = 8, c_uot = 16)
    }
}

fn main() {}
