cnn::cnn! {
    // Two halvings need a multiple of 4: on 62×62 the inner skip is 31×31,
    // its pooled and upsampled path 30×30.
    struct UNet: [3, 64, 64] also [3, 96, 128], [3, 62, 62] {
        conv(3, 8, 3, padding = 1)
        concat {} {
            maxpool(2)
            concat {} { maxpool(2) conv(8, 8, 3, padding = 1) upsample(scale_factor = 2) }
            upsample(scale_factor = 2)
        }
    }
}

fn main() {}
