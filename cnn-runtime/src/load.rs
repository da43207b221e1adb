//! Weights in (out is `export.rs`): PyTorch `.pt` state_dicts and `.safetensors` files
//! saved from the equivalent `nn.Sequential` (keys `"0.weight"`, `"3.bias"`,
//! … by layer position), and burn's own burnpack format. The formats are
//! read by burn-store; this module maps PyTorch's positions onto the
//! generated fields and turns every way a file can fail to fit into a
//! [`LoadError`] that names the layer, the key and both shapes.
//!
//! Loading goes into a freshly built network that is returned only when every
//! tensor fitted, so a caller never receives a half-loaded model.

use crate::LayerInfo;
use burn::module::{Module, ModuleMapper, Param};
use burn::store::{
    ApplyError, ApplyResult, BurnpackStore, KeyRemapper, ModuleSnapshot, ModuleStore,
    PyTorchToBurnAdapter, PytorchStore, SafetensorsStore,
};
use burn::tensor::{DType, Tensor};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// Why weights could not be loaded or saved.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadError {
    /// The file could not be read as a weight file of that format: missing,
    /// truncated, corrupt, or another format.
    File {
        /// The network being loaded.
        network: &'static str,
        /// The file.
        path: PathBuf,
        /// What the reader said.
        message: String,
    },
    /// The file was read, but its tensors do not fit the network.
    Mismatch {
        /// The network being loaded.
        network: &'static str,
        /// The file.
        path: PathBuf,
        /// Every tensor that did not fit.
        problems: Vec<Mismatch>,
    },
}

/// One tensor of a weight file that does not fit the network. Shapes are
/// given in PyTorch's layout (a linear weight is `[out, in]`).
#[derive(Debug, Clone, PartialEq)]
pub enum Mismatch {
    /// The network has the tensor, the file does not.
    Missing {
        /// The layer's DSL text, `conv(6, 16, 5)`.
        layer: &'static str,
        /// The key PyTorch would use, `3.weight`.
        key: String,
        /// The shape the layer expects.
        expected: Vec<usize>,
    },
    /// The file's tensor has another shape than the layer's.
    Shape {
        /// The layer's DSL text.
        layer: &'static str,
        /// The key in the file.
        key: String,
        /// The shape the layer expects.
        expected: Vec<usize>,
        /// The shape in the file.
        found: Vec<usize>,
    },
    /// The file's tensor has another element type (the network is `f32`).
    DType {
        /// The layer's DSL text.
        layer: &'static str,
        /// The key in the file.
        key: String,
        /// The element type the layer expects.
        expected: String,
        /// The element type in the file.
        found: String,
    },
    /// The file has a tensor no layer takes.
    Unexpected {
        /// The key in the file.
        key: String,
        /// Its shape.
        shape: Vec<usize>,
    },
    /// The file's tensor could not be read or converted.
    Unreadable {
        /// The key in the file.
        key: String,
        /// What went wrong.
        message: String,
    },
}

fn dims(d: &[usize]) -> String {
    let parts: Vec<String> = d.iter().map(ToString::to_string).collect();
    format!("[{}]", parts.join(", "))
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::Missing {
                layer,
                key,
                expected,
            } => {
                write!(
                    f,
                    "`{layer}` needs `{key}` {}, which the file lacks",
                    dims(expected)
                )
            }
            Mismatch::Shape {
                layer,
                key,
                expected,
                found,
            } => {
                write!(
                    f,
                    "`{layer}` expects `{key}` {}, found {}",
                    dims(expected),
                    dims(found)
                )
            }
            Mismatch::DType {
                layer,
                key,
                expected,
                found,
            } => {
                write!(f, "`{layer}` expects `{key}` of {expected}, found {found}")
            }
            Mismatch::Unexpected { key, shape } => {
                write!(
                    f,
                    "the file has `{key}` {}, which no layer takes",
                    dims(shape)
                )
            }
            Mismatch::Unreadable { key, message } => write!(f, "`{key}` cannot be read: {message}"),
        }
    }
}

impl LoadError {
    /// The [`LoadError::File`] of `network` and `path` with a reader's or
    /// writer's message, for `map_err`.
    pub(crate) fn file<'a>(
        network: &'static str,
        path: &'a Path,
    ) -> impl Fn(String) -> LoadError + 'a {
        move |message| LoadError::File {
            network,
            path: path.to_path_buf(),
            message,
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::File {
                network,
                path,
                message,
            } => {
                write!(
                    f,
                    "cannot load `{network}` from {}: {message}",
                    path.display()
                )
            }
            LoadError::Mismatch {
                network,
                path,
                problems,
            } => {
                write!(f, "cannot load `{network}` from {}: ", path.display())?;
                if let [one] = problems.as_slice() {
                    return write!(f, "{one}");
                }
                write!(f, "{} tensors do not fit", problems.len())?;
                for p in problems {
                    write!(f, "\n  - {p}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for LoadError {}

/// The weight formats a generated network reads.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A PyTorch `.pt` / `.pth` file holding a state_dict.
    Pytorch,
    /// A `.safetensors` file saved from a PyTorch state_dict.
    Safetensors,
    /// burn's burnpack format, as written by `save_burnpack`.
    Burnpack,
}

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
fn pytorch_key(layers: &'static [LayerInfo], path: &str) -> (Option<&'static LayerInfo>, String) {
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
fn pytorch_shape(layer: Option<&LayerInfo>, key: &str, shape: &[usize]) -> Vec<usize> {
    let mut shape = shape.to_vec();
    if layer.is_some_and(|l| l.kind == crate::LayerKind::Linear) && key.ends_with(".weight") {
        shape.reverse();
    }
    shape
}

fn dsl(layer: Option<&'static LayerInfo>) -> &'static str {
    layer.map_or("", |l| l.dsl)
}

/// The key remapping from PyTorch's positions to the fields: the renamed
/// keys of each layer first (`^3\.weight$` → `prelu1.alpha`), then the rest
/// (`^3\.(.+)$` → `conv2.$1`).
fn remap_patterns(layers: &'static [LayerInfo]) -> Vec<(String, String)> {
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

/// Loads `path` into `model`, which must be freshly built, and returns it
/// only if every tensor fitted. Weights of another float width (a PyTorch
/// `model.double()` or `.half()` state_dict) are cast to the network's own,
/// as PyTorch's `load_state_dict` does. Hidden: the generated `load_*`
/// methods call it.
#[doc(hidden)]
pub fn load<M: Module + ModuleSnapshot>(
    mut model: M,
    network: &'static str,
    layers: &'static [LayerInfo],
    format: Format,
    path: &Path,
) -> Result<M, LoadError> {
    let own_dtype = load_into(&mut model, network, layers, format, path)?;
    Ok(match own_dtype {
        Some(dtype) => model.map(&mut CastFloats(dtype)),
        None => model,
    })
}

/// Casts every float parameter that is not of the network's dtype to it.
struct CastFloats(DType);

impl ModuleMapper for CastFloats {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let target = self.0;
        param.map(|tensor| {
            if tensor.dtype() == target {
                tensor
            } else {
                tensor.cast(target)
            }
        })
    }
}

/// Applies the file to `model`; returns the float dtype the freshly built
/// model had, which the loaded weights are cast to.
fn load_into<M: ModuleSnapshot>(
    model: &mut M,
    network: &'static str,
    layers: &'static [LayerInfo],
    format: Format,
    path: &Path,
) -> Result<Option<DType>, LoadError> {
    let file_error = LoadError::file(network, path);
    let remapper = KeyRemapper::from_patterns(remap_patterns(layers))
        .map_err(|e| file_error(e.to_string()))?;
    let own = model.collect(None, None, false);
    let own_dtype = own.iter().map(|t| t.dtype).find(|d| d.is_float());
    let expected: BTreeMap<String, Vec<usize>> = own
        .into_iter()
        .map(|t| (t.name.clone(), t.shape.to_vec()))
        .collect();
    let applied = match format {
        Format::Pytorch => apply(
            model,
            PytorchStore::from_file(path)
                .remap(remapper)
                .map_indices_contiguous(false)
                .allow_partial(true)
                .validate(false),
        ),
        Format::Safetensors => match std::fs::metadata(path) {
            Err(e) => Err(e.to_string()),
            Ok(_) => apply(
                model,
                SafetensorsStore::from_file(path)
                    .with_from_adapter(PyTorchToBurnAdapter)
                    .remap(remapper)
                    .allow_partial(true)
                    .validate(false),
            ),
        },
        Format::Burnpack => apply(
            model,
            BurnpackStore::from_file(path)
                .auto_extension(false)
                .allow_partial(true)
                .validate(false),
        ),
    };
    let (result, found) = applied.map_err(file_error)?;
    let problems = mismatches(layers, &expected, &found, result, format);
    if problems.is_empty() {
        Ok(own_dtype)
    } else {
        Err(LoadError::Mismatch {
            network,
            path: path.to_path_buf(),
            problems,
        })
    }
}

/// Applies every tensor of `store` to `model`; also returns the shapes the
/// file holds (after key remapping, before the PyTorch adapter runs).
fn apply<M: ModuleSnapshot, S: ModuleStore>(
    model: &mut M,
    mut store: S,
) -> Result<(ApplyResult, BTreeMap<String, Vec<usize>>), String> {
    let found = store
        .get_all_tensors()
        .map_err(|e| e.to_string())?
        .iter()
        .map(|(k, t)| (k.clone(), t.shape.to_vec()))
        .collect();
    let result = model.load_from(&mut store).map_err(|e| e.to_string())?;
    Ok((result, found))
}

fn mismatches(
    layers: &'static [LayerInfo],
    expected: &BTreeMap<String, Vec<usize>>,
    found: &BTreeMap<String, Vec<usize>>,
    result: ApplyResult,
    format: Format,
) -> Vec<Mismatch> {
    // Names in messages are the file's: PyTorch positions, except for burnpack.
    let name = |path: &str| -> (Option<&'static LayerInfo>, String) {
        let (layer, key) = pytorch_key(layers, path);
        if format == Format::Burnpack {
            (layer, path.to_string())
        } else {
            (layer, key)
        }
    };
    let shape = |layer: Option<&LayerInfo>, key: &str, s: &[usize]| {
        if format == Format::Burnpack {
            s.to_vec()
        } else {
            pytorch_shape(layer, key, s)
        }
    };
    let mut problems = Vec::new();
    for error in result.errors {
        problems.push(match error {
            ApplyError::ShapeMismatch { path, .. } => {
                let (layer, key) = name(&path);
                let expected = expected.get(&path).cloned().unwrap_or_default();
                // Read before the adapter runs: already in the file's own layout.
                let found = found.get(&path).cloned().unwrap_or_default();
                Mismatch::Shape {
                    layer: dsl(layer),
                    expected: shape(layer, &key, &expected),
                    found,
                    key,
                }
            }
            ApplyError::DTypeMismatch {
                path,
                expected,
                found,
            } => {
                let (layer, key) = name(&path);
                Mismatch::DType {
                    layer: dsl(layer),
                    key,
                    expected: format!("{expected:?}"),
                    found: format!("{found:?}"),
                }
            }
            ApplyError::AdapterError { path, message }
            | ApplyError::LoadError { path, message } => Mismatch::Unreadable {
                key: name(&path).1,
                message,
            },
        });
    }
    for (path, _) in result.missing {
        let (layer, key) = name(&path);
        let expected = expected.get(&path).cloned().unwrap_or_default();
        problems.push(Mismatch::Missing {
            layer: dsl(layer),
            expected: shape(layer, &key, &expected),
            key,
        });
    }
    for path in result.unused {
        // PyTorch's batchnorm counts its updates in a buffer burn has no use for.
        if path.ends_with("num_batches_tracked") {
            continue;
        }
        let shape = found.get(&path).cloned().unwrap_or_default();
        problems.push(Mismatch::Unexpected {
            key: name(&path).1,
            shape,
        });
    }
    problems
}
