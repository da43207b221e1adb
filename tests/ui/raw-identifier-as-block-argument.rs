// A raw identifier is the name without `r#`, as in Rust: `r#struct` as a
// block's argument is the word `struct`, which is no channel count. The
// error is on that argument of the call (this input once made the macro
// panic), and `r#down` calls the block `down`.
cnn::cnn! {
    block down(i, o) { conv(i, o, 3, stride = 2, padding = 1) }
    pub struct R: [8, 16, 16] { r#down(8, r#struct) flatten }
}

fn main() {}
