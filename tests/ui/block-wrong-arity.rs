cnn::cnn! {
    block basic_down(c_in, c_out) {
        conv(c_in, c_out, 3, stride = 2, padding = 1)
    }
    struct Net: [16, 8, 8] {
        basic_down(16)
    }
}

fn main() {}
