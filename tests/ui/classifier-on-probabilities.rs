// `classifier!` trains with cross-entropy, which wants logits.
cnn::cnn! {
    struct Net: [1, 8, 8] {
        flatten linear(64, 10) softmax
    }
}
cnn::classifier!(Net);

fn main() {}
