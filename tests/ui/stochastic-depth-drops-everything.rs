// `p = 1` drops every sample while training.
cnn::cnn! {
    struct Net: [8, 8, 8] {
        residual { conv(8, 8, 3, padding = 1) stochastic_depth(1.0) }
    }
}

fn main() {}
