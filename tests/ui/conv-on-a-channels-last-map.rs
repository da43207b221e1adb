// Between the permutes the map is channels-last: a convolution needs it back.
cnn::cnn! {
    struct Net: [8, 8, 8] {
        permute(0, 2, 3, 1) layernorm(8) conv(8, 8, 3, padding = 1) permute(0, 3, 1, 2)
    }
}

fn main() {}
