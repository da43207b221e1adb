// Seed 003 г: every convolution with stride 2 shrinks LeNet until the second
// pooling layer has nothing to pool.
cnn::cnn! {
    struct Strided: [1, 28, 28] {
        conv(1, 6, 5, stride = 2) relu maxpool(2)
        conv(6, 16, 5, stride = 2) relu maxpool(2)
        flatten
        linear(16, 10)
    }
}

fn main() {}
