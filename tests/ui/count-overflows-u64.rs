cnn::cnn! {
    struct Huge: [65536, 65536, 65536] {
        conv(65536, 65536, 3, padding = 1)
    }
}

fn main() {}
