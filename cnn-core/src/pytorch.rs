//! Model → the equivalent PyTorch `nn.Sequential` source (the generated
//! `PYTORCH` constant): users cross-check shapes or export weights from
//! Python with it, and its layer positions are the state_dict keys that
//! `load_pytorch` reads. Each kind writes its own module (`Layer::pytorch`).

use crate::model::Network;

/// `nn.Sequential(\n    nn.Conv2d(1, 6, kernel_size=5),\n    ...\n)`.
pub fn sequential(net: &Network) -> String {
    let mut out = String::from("nn.Sequential(\n");
    for layer in &net.layers {
        out.push_str("    ");
        out.push_str(&layer.pytorch());
        out.push_str(",\n");
    }
    out.push(')');
    out
}
