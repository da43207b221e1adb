// A max-pooling window that covers only padding outputs -inf (as PyTorch's
// does): a warning, denied here so that trybuild shows it.
#![deny(deprecated)]

cnn::cnn! {
    struct Net: [2, 1, 1] {
        maxpool(2, stride = 2, padding = 1, dilation = 2)
    }
}

fn main() {}
