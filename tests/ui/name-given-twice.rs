// Names are the keys of the PyTorch twin's state_dict: one per module of a block.
cnn::cnn! {
    struct Net: [8, 8, 8] {
        conv1: conv(8, 8, 3, padding = 1) relu
        conv1: conv(8, 8, 3, padding = 1)
    }
}

fn main() {}
