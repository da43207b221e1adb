cnn::cnn! {
    struct Net: [3, 16, 16] {
        upsample(scale_factor = 2, align_corners = true)
    }
}

fn main() {}
