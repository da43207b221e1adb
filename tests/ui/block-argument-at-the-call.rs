// A block argument that does not fit where the block is used is the call's
// mistake: one error, on that argument of that call (not on the body, and
// not on the other, identical call that fits), with a help that edits it.
cnn::cnn! {
    block ir_hs_res(c_in, hidden, k, stride) {
        residual {
            conv(c_in, hidden, 1, bias = false) batchnorm(hidden) hardswish
            conv(hidden, hidden, k, stride = stride, padding = 2, groups = hidden, bias = false)
            batchnorm(hidden) hardswish
            conv(hidden, c_in, 1, bias = false) batchnorm(c_in)
        }
    }
    struct Net: [3, 64, 64] {
        conv(3, 48, 3, stride = 2, padding = 1) hardswish
        ir_hs_res(48, 120, 5, 1)
        conv(48, 40, 1) hardswish
        ir_hs_res(48, 120, 5, 1)
    }
}

fn main() {}
