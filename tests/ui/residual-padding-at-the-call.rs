// A residual whose body shrinks the map because of a block's argument (the
// padding `p` of a depthwise 5×5) is the call's mistake: one error, on that
// argument of the call, with a help that edits the call, not the body.
cnn::cnn! {
    block ir_hs(i, o, hidden, k, s, p) {
        conv(i, hidden, 1, bias = false) batchnorm(hidden) hardswish
        conv(hidden, hidden, k, stride = s, padding = p, groups = hidden, bias = false)
        batchnorm(hidden) hardswish
        conv(hidden, o, 1, bias = false) batchnorm(o)
    }
    block ir_hs_res(c, hidden, k, p) { residual { ir_hs(c, c, hidden, k, 1, p) } }
    struct Net: [40, 4, 4] {
        ir_hs_res(40, 120, 5, 2)
        ir_hs_res(40, 120, 5, 1)
    }
}

fn main() {}
