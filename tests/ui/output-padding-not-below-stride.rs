cnn::cnn! {
    struct Net: [8, 16, 16] {
        conv_transpose(8, 4, 3, stride = 2, output_padding = 2)
    }
}

fn main() {}
