// A network returns channels-first.
cnn::cnn! {
    struct Net: [8, 8, 8] {
        conv(8, 8, 3, padding = 1) permute(0, 2, 3, 1) layernorm(8) linear(8, 16) gelu
    }
}

fn main() {}
