// A U-Net on an input that its poolings cannot halve evenly: 60 → 30 → 15 → 7,
// and the upsampled 14×14 map cannot join its 15×15 skip.
cnn::cnn! {
    block down_up(c) {
        concat {} { maxpool(2) conv(c, c, 3, padding = 1) conv_transpose(c, c, 2, stride = 2) }
    }
    struct UNet: [8, 60, 60] {
        concat {} {
            maxpool(2)
            concat {} {
                maxpool(2)
                down_up(8)
                conv(16, 8, 1)
                conv_transpose(8, 8, 2, stride = 2)
            }
            conv(16, 8, 1)
            conv_transpose(8, 8, 2, stride = 2)
        }
    }
}

fn main() {}
