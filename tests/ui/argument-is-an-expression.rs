// An argument is a literal, a word, a tuple or arithmetic on them: a method
// call is not one, and the error says what is.
cnn::cnn! {
    block stage(k) {
        conv(8, 8, k, padding = k.div_euclid(2))
    }
    struct Net: [8, 16, 16] {
        stage(3)
    }
}

fn main() {}
