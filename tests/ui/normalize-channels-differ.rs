// `normalize`'s statistics give one number per channel; ImageNet's three on
// a one-channel input cannot be meant.
cnn::cnn! {
    struct Net: [1, 28, 28] {
        normalize(mean = (0.485, 0.456, 0.406), std = (0.229, 0.224, 0.225))
        conv(1, 6, 5) relu
    }
}

fn main() {}
