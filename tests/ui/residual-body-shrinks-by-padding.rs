// A residual body that shrinks the map without striding: the error names the
// layer that shrank it, with its arithmetic, and helps with its padding (not
// with a strided shortcut, which would compile into another network).
cnn::cnn! {
    struct Net: [40, 4, 4] {
        residual {
            conv(40, 120, 1, bias = false) batchnorm(120) hardswish
            conv(120, 120, 5, padding = 1, groups = 120, bias = false) batchnorm(120) hardswish
            conv(120, 40, 1, bias = false) batchnorm(40)
        }
    }
}

fn main() {}
