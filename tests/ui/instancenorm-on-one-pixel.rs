cnn::cnn! {
    struct Net: [3, 16, 16] {
        conv(3, 8, 3) adaptive_avgpool(1) instancenorm(8)
    }
}

fn main() {}
