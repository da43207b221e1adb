// A misspelt parameter is a bare word: the error says which parameter was meant.
cnn::cnn! {
    block stage(c_in, c_out) {
        conv(c_in, c_ot, 3, padding = 1) relu
    }
    struct Net: [3, 8, 8] { stage(3, 16) }
}

fn main() {}
