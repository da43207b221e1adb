// A wire never read is a warning; denied here to show its text.
#![deny(deprecated)]

cnn::cnn! {
    struct Net: [3, 16, 16] {
        conv(3, 8, 3, padding = 1) as unused relu
    }
}

fn main() {}
