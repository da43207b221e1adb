use cnn_runtime::cnn;

cnn! {
    // 60 → 30 → 15: the inner skip is 15×15, its upsampled path 14×14.
    struct UNet: [3, 64, 64] also [3, 96, 128], [3, 60, 60] {
        conv(3, 8, 3, padding = 1)
        concat {} {
            maxpool(2)
            concat {} { maxpool(2) maxpool(2) upsample(scale_factor = 2) }
            upsample(scale_factor = 2)
        }
    }
}

fn main() {}
