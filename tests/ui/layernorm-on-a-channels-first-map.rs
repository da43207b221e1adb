// `layernorm` normalizes the last axis: on a channels-first map, the width.
cnn::cnn! {
    struct Net: [8, 8, 8] {
        conv(8, 8, 3, padding = 1) layernorm(8)
    }
}

fn main() {}
