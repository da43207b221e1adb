// A wire is read after it is bound: `from(skip)` comes first here.
cnn::cnn! {
    struct Net: [3, 16, 16] {
        conv(3, 8, 3, padding = 1) from(skip) relu as skip
    }
}

fn main() {}
