cnn::cnn! {
    struct Net: [3, 16, 16] {
        conv(3, 8, 3) groupnorm(3, 8) relu
    }
}

fn main() {}
