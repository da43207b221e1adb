//! The two names of every tensor: PyTorch's state_dict key (`layer1.0.conv1.weight`,
//! `3.bias`), which files and users speak, and burn's field path
//! (`layer1.basic1.conv1.weight`, `conv2.bias`), which the module holds;
//! and the names users write (a key or a prefix of keys, as in the
//! summary's Key column) turned into field paths.

use crate::LayerInfo;
use cnn_shape::words::edit_distance;
use std::fmt;

/// The PyTorch key prefix of each layer with weights, and its burn path:
/// `("3", "conv2")` for `nn.Sequential` index 3, `("layer1.0.conv1",
/// "layer1.basic1.conv1")` inside blocks.
pub(crate) fn positions(
    layers: &'static [LayerInfo],
) -> impl Iterator<Item = (&'static str, &'static LayerInfo, &'static str)> {
    layers
        .iter()
        .filter(|l| l.kind.is_layer())
        .filter_map(|l| Some((l.path, l, l.field?)))
}

/// `conv2.weight` → (`conv(6, 16, 5)`, `3.weight`), for messages: the
/// layer's position, and the key renamed back where PyTorch and burn differ.
pub(crate) fn pytorch_key(
    layers: &'static [LayerInfo],
    path: &str,
) -> (Option<&'static LayerInfo>, String) {
    for (i, layer, field) in positions(layers) {
        if path == field {
            return (Some(layer), i.to_string());
        }
        if let Some(rest) = path.strip_prefix(field).and_then(|r| r.strip_prefix('.')) {
            let rest = layer
                .keys
                .iter()
                .find(|(_, burn)| *burn == rest)
                .map_or(rest, |(pytorch, _)| pytorch);
            return (Some(layer), format!("{i}.{rest}"));
        }
    }
    (None, path.to_string())
}

/// burn stores a linear weight as `[in, out]`; messages use PyTorch's `[out, in]`.
pub(crate) fn pytorch_shape(layer: Option<&LayerInfo>, key: &str, shape: &[usize]) -> Vec<usize> {
    let mut shape = shape.to_vec();
    if layer.is_some_and(|l| l.kind == crate::LayerKind::Linear) && key.ends_with(".weight") {
        shape.reverse();
    }
    shape
}

pub(crate) fn dsl(layer: Option<&'static LayerInfo>) -> &'static str {
    layer.map_or("", |l| l.dsl)
}

/// The key remapping from PyTorch's positions to the fields: the renamed
/// keys of each layer first (`^3\.weight$` → `prelu1.alpha`), then the rest
/// (`^3\.(.+)$` → `conv2.$1`).
pub(crate) fn remap_patterns(layers: &'static [LayerInfo]) -> Vec<(String, String)> {
    let mut patterns = Vec::new();
    for (i, layer, field) in positions(layers) {
        for (pytorch, burn) in layer.keys {
            if pytorch.is_empty() {
                // A bare parameter: the key is the layer's own (`layer_scale`).
                patterns.push((format!(r"^{}$", regex_escape(i)), field.to_string()));
                continue;
            }
            patterns.push((
                format!(r"^{}\.{pytorch}$", regex_escape(i)),
                format!("{field}.{burn}"),
            ));
        }
        patterns.push((
            format!(r"^{}\.(.+)$", regex_escape(i)),
            format!("{field}.$1"),
        ));
    }
    patterns
}

/// `layer1.0` → `layer1\.0`: a key prefix as a literal in a pattern (a
/// name written as a string, `"block1-0"`, may hold any character).
pub(crate) fn regex_escape(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for c in key.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A name that is not a key of the network (nor a prefix of its keys), with
/// the nearest names it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError {
    /// The network.
    pub network: &'static str,
    /// The name as given.
    pub key: String,
    /// Up to three of the network's names nearest to it, nearest first.
    pub nearest: Vec<String>,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` has no key `{}`", self.network, self.key)?;
        if !self.nearest.is_empty() {
            let nearest: Vec<String> = self.nearest.iter().map(|k| format!("`{k}`")).collect();
            write!(f, "; the nearest are {}", nearest.join(", "))?;
        }
        write!(
            f,
            " (names are PyTorch's state_dict keys or their prefixes, the Key column of `summary()`)"
        )
    }
}

impl std::error::Error for KeyError {}

/// The field paths the names select: a layer's field for a name that is its
/// key or a prefix of keys (`layer1` → every layer under `layer1.`), a
/// tensor's path for a tensor's key (`fc.weight`). A name that selects
/// nothing is an error naming the nearest keys.
pub(crate) fn select<S: AsRef<str>>(
    network: &'static str,
    layers: &'static [LayerInfo],
    names: &[S],
) -> Result<Vec<String>, KeyError> {
    let mut fields = Vec::new();
    for name in names {
        let name = name.as_ref();
        let before = fields.len();
        for (path, layer, field) in positions(layers) {
            if name.is_empty() {
                break;
            }
            if path == name || path.strip_prefix(name).is_some_and(|r| r.starts_with('.')) {
                fields.push(field.to_string());
            } else if let Some(tail) = name.strip_prefix(path).and_then(|r| r.strip_prefix('.')) {
                let tail = layer
                    .keys
                    .iter()
                    .find(|(pytorch, _)| *pytorch == tail)
                    .map_or(tail, |(_, burn)| burn);
                fields.push(format!("{field}.{tail}"));
            }
        }
        if fields.len() == before {
            return Err(KeyError {
                network,
                key: name.to_string(),
                nearest: nearest(layers, name),
            });
        }
    }
    fields.sort();
    fields.dedup();
    Ok(fields)
}

/// Whether the field path `path` (a tensor's or a module's) is one of
/// `fields` or lies under one.
pub(crate) fn under(fields: &[String], path: &str) -> bool {
    fields.iter().any(|f| {
        path == f
            || path
                .strip_prefix(f.as_str())
                .is_some_and(|r| r.starts_with('.'))
    })
}

/// The network's names (its layers' keys and every prefix of them) nearest
/// to `name`, at most three.
fn nearest(layers: &'static [LayerInfo], name: &str) -> Vec<String> {
    let mut names: Vec<&str> = Vec::new();
    for (path, _, _) in positions(layers) {
        let ends = path.match_indices('.').map(|(i, _)| i).chain([path.len()]);
        for end in ends {
            if !names.contains(&&path[..end]) {
                names.push(&path[..end]);
            }
        }
    }
    nearest_of(&names, name)
}

/// The three of `names` nearest to `name`, nearest first (ties in order).
pub(crate) fn nearest_of<S: AsRef<str>>(names: &[S], name: &str) -> Vec<String> {
    let mut ranked: Vec<(usize, usize, &str)> = names
        .iter()
        .enumerate()
        .map(|(order, n)| (edit_distance(name, n.as_ref()), order, n.as_ref()))
        .collect();
    ranked.sort();
    ranked
        .into_iter()
        .take(3)
        .map(|(_, _, n)| n.to_string())
        .collect()
}
