// `upsample(like = w)` takes the size of a map; `w` holds flat features.
cnn::cnn! {
    struct Net: [3, 16, 16] {
        conv(3, 8, 3, padding = 1) as map
        adaptive_avgpool(1) flatten as pooled
        from(map) upsample(like = pooled)
    }
}

fn main() {}
