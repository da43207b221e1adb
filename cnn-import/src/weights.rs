//! The generated network checked by `cnn!`'s own library, and its keys given
//! to the graph's tensors.
//!
//! The keys are not computed here: the checked network's layer table lists
//! every layer's state_dict path in the order the text declares them, the
//! order [`layer_order`] walks the tree in, so the two are zipped.

use std::str::FromStr;

use cnn_core::model::RowKind;
use safetensors::{Dtype, tensor::TensorView};

use crate::error::Error;
use crate::group::PAD;
use crate::ir::{Kind, Net};
use crate::onnx::{Data, Tensor};
use crate::tree::Node;

/// What the checker says of the network.
pub struct Checked {
    /// `PARAMS`
    pub params: u64,
    /// `MACS`
    pub macs: u64,
    /// Every layer's state_dict path, in declaration order (blocks expanded).
    pub paths: Vec<String>,
}

/// Checks `invocation` (the text inside `cnn! { … }`) with the macro's library.
pub fn check(invocation: &str) -> Result<Checked, Error> {
    let bug = |message: String| Error::Check { message };
    let tokens = proc_macro2::TokenStream::from_str(&format!("::cnn, {invocation}"))
        .map_err(|e| bug(format!("the text does not tokenize: {e}")))?;
    let (networks, cx) = cnn_core::analyze(tokens).map_err(|e| bug(e.to_string()))?;
    if !cx.is_ok() {
        return Err(bug(cx.messages().join("\n")));
    }
    let [net] = &networks[..] else {
        return Err(bug("no network came out of the check".into()));
    };
    let paths = net
        .rows
        .iter()
        .filter(|r| matches!(r.kind, RowKind::Layer(_)))
        .map(|r| r.path.clone())
        .collect();
    Ok(Checked {
        params: net.params,
        macs: net.macs,
        paths,
    })
}

/// The layers of `nodes` in declaration order: item indices, [`PAD`] for a placeholder.
pub fn layer_order(nodes: &[Node]) -> Vec<usize> {
    let mut out = Vec::new();
    walk(nodes, &mut out);
    out
}

fn walk(nodes: &[Node], out: &mut Vec<usize>) {
    for node in nodes {
        match node {
            Node::Layer(i) | Node::Named(_, i) => out.push(*i),
            Node::Merge { branches, .. } => branches.iter().for_each(|b| walk(b, out)),
            Node::Group { body, .. } => walk(body, out),
            Node::Bound(inner, _) => walk(std::slice::from_ref(&**inner), out),
            // Blocks are found after the order is taken.
            Node::Call { .. } | Node::Repeat(..) | Node::From(_) | Node::Output(_) => {}
        }
    }
}

/// Every tensor of the graph under its key in the checked network.
pub fn keyed(
    net: &Net,
    order: &[usize],
    checked: &Checked,
) -> Result<Vec<(String, Tensor)>, Error> {
    if order.len() != checked.paths.len() {
        return Err(Error::Check {
            message: format!(
                "the text declares {} layers, the check found {}",
                order.len(),
                checked.paths.len()
            ),
        });
    }
    let mut out = Vec::new();
    for (&i, path) in order.iter().zip(&checked.paths) {
        if i == PAD {
            continue;
        }
        let Kind::Layer(layer) = &net.items[i].kind else {
            continue;
        };
        for (suffix, tensor) in &layer.params {
            let key = if suffix.is_empty() {
                path.clone()
            } else {
                format!("{path}.{suffix}")
            };
            out.push((key, tensor.clone()));
        }
        if layer.call.name == "batchnorm" {
            out.push((
                format!("{path}.num_batches_tracked"),
                crate::layers::counter(),
            ));
        }
    }
    Ok(out)
}

/// The tensors as a safetensors file.
pub fn safetensors(weights: &[(String, Tensor)]) -> Result<Vec<u8>, Error> {
    let bytes: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = weights
        .iter()
        .map(|(key, t)| match &t.data {
            Data::Float(v) => (
                key.clone(),
                Dtype::F32,
                t.dims.clone(),
                v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            ),
            Data::Int(v) => (
                key.clone(),
                Dtype::I64,
                t.dims.clone(),
                v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            ),
        })
        .collect();
    let mut views = Vec::new();
    for (key, dtype, dims, data) in &bytes {
        let view = TensorView::new(*dtype, dims.clone(), data).map_err(|e| Error::Check {
            message: format!("tensor `{key}`: {e}"),
        })?;
        views.push((key.clone(), view));
    }
    safetensors::serialize(views, None).map_err(|e| Error::Check {
        message: format!("safetensors: {e}"),
    })
}
