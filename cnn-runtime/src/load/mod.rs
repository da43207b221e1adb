//! Weights in (out is `export.rs`): PyTorch `.pt` state_dicts and `.safetensors` files
//! saved from the equivalent `nn.Sequential` (keys `"0.weight"`, `"3.bias"`,
//! … by layer position) or from a module with the DSL's names, and burn's
//! own burnpack format. The formats are read by burn-store; `keys.rs` maps
//! PyTorch's names onto the generated fields, `error.rs` turns every way a
//! file can fail to fit into a [`LoadError`] that names the layer, the key
//! and both shapes, and `report.rs` holds the options and the report of a
//! partial load.
//!
//! Loading goes into a freshly built network that is returned only when every
//! tensor fitted (or was skipped by name, or may be missing under
//! [`Load::partial`]), so a caller never receives a half-loaded model by
//! accident.

mod error;
mod keys;
mod report;

pub use error::{LoadError, Mismatch};
pub use keys::KeyError;
pub(crate) use keys::{nearest_of, positions, pytorch_key, regex_escape, select, under};
pub use report::{Entry, Load, LoadReport};

use crate::LayerInfo;
use burn::module::{Module, ModuleMapper, Param};
use burn::store::{
    ApplyError, ApplyResult, BurnpackStore, KeyRemapper, ModuleSnapshot, ModuleStore, PathFilter,
    PyTorchToBurnAdapter, PytorchStore, SafetensorsStore,
};
use burn::tensor::{DType, Tensor};
use keys::{dsl, pytorch_shape, remap_patterns};
use std::collections::BTreeMap;
use std::path::Path;

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

/// Loads `path` into `model`, which must be freshly built, and returns it
/// only if every tensor fitted. Weights of another float width (a PyTorch
/// `model.double()` or `.half()` state_dict) are cast to the network's own,
/// as PyTorch's `load_state_dict` does. Hidden: the generated `load_*`
/// methods call it.
#[doc(hidden)]
pub fn load<M: Module + ModuleSnapshot>(
    model: M,
    network: &'static str,
    layers: &'static [LayerInfo],
    format: Format,
    path: &Path,
) -> Result<M, LoadError> {
    load_with(model, network, layers, format, path, &Load::strict()).map(|(model, _)| model)
}

/// [`load`] as `options` say, with the report of what came from the file.
/// Hidden: the generated `load_*_with` methods call it.
#[doc(hidden)]
pub fn load_with<M: Module + ModuleSnapshot>(
    mut model: M,
    network: &'static str,
    layers: &'static [LayerInfo],
    format: Format,
    path: &Path,
    options: &Load,
) -> Result<(M, LoadReport), LoadError> {
    let (own_dtype, report) = load_into(&mut model, network, layers, format, path, options)?;
    let model = match own_dtype {
        Some(dtype) => model.map(&mut CastFloats(dtype)),
        None => model,
    };
    Ok((model, report))
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

/// Applies the file to `model`, but the skipped tensors; returns the float
/// dtype the freshly built model had, which the loaded weights are cast to,
/// and the report.
fn load_into<M: ModuleSnapshot>(
    model: &mut M,
    network: &'static str,
    layers: &'static [LayerInfo],
    format: Format,
    path: &Path,
    options: &Load,
) -> Result<(Option<DType>, LoadReport), LoadError> {
    let file_error = LoadError::file(network, path);
    let skipped_fields = if options.skipped().is_empty() {
        Vec::new()
    } else {
        select(network, layers, options.skipped())?
    };
    let remapper = KeyRemapper::from_patterns(remap_patterns(layers))
        .map_err(|e| file_error(e.to_string()))?;
    let own = model.collect(None, None, false);
    let own_dtype = own.iter().map(|t| t.dtype).find(|d| d.is_float());
    let expected: BTreeMap<String, Vec<usize>> = own
        .into_iter()
        .map(|t| (t.name.clone(), t.shape.to_vec()))
        .collect();
    let taken: Vec<&String> = expected
        .keys()
        .filter(|path| !under(&skipped_fields, path))
        .collect();
    let filter = if taken.is_empty() {
        PathFilter::none()
    } else {
        PathFilter::new().with_full_paths(taken)
    };
    let applied = match format {
        Format::Pytorch => apply(
            model,
            PytorchStore::from_file(path)
                .remap(remapper)
                .map_indices_contiguous(false)
                .filter(filter)
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
                    .filter(filter)
                    .allow_partial(true)
                    .validate(false),
            ),
        },
        Format::Burnpack => apply(
            model,
            BurnpackStore::from_file(path)
                .auto_extension(false)
                .filter(filter)
                .allow_partial(true)
                .validate(false),
        ),
    };
    let (result, found) = applied.map_err(file_error)?;
    let names = Names {
        layers,
        format,
        expected: &expected,
        found: &found,
    };
    let mut problems = names.errors(result.errors);
    let report = LoadReport {
        network,
        path: path.to_path_buf(),
        applied: result.applied.iter().map(|p| names.entry(p)).collect(),
        skipped: expected
            .keys()
            .filter(|p| under(&skipped_fields, p))
            .map(|p| names.entry(p))
            .collect(),
        missing: result
            .missing
            .iter()
            .filter(|(p, _)| !under(&skipped_fields, p))
            .map(|(p, _)| names.entry(p))
            .collect(),
        // PyTorch's batchnorm counts its updates in a buffer burn has no use for.
        unused: result
            .unused
            .iter()
            .filter(|p| !p.ends_with("num_batches_tracked"))
            .map(|p| names.unused(p))
            .collect(),
    };
    if !options.is_partial() {
        problems.extend(names.strict(&report));
    }
    if problems.is_empty() {
        Ok((own_dtype, report))
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

/// Tensors named as the file names them: PyTorch keys and layouts, except
/// for burnpack (burn's paths and layouts).
struct Names<'a> {
    layers: &'static [LayerInfo],
    format: Format,
    /// The network's shape of each of its tensors, by field path.
    expected: &'a BTreeMap<String, Vec<usize>>,
    /// The file's shape of each of its tensors, by field path where remapped.
    found: &'a BTreeMap<String, Vec<usize>>,
}

impl Names<'_> {
    /// The layer and the file's name of the tensor at field path `path`.
    fn name(&self, path: &str) -> (Option<&'static LayerInfo>, String) {
        let (layer, key) = pytorch_key(self.layers, path);
        if self.format == Format::Burnpack {
            (layer, path.to_string())
        } else {
            (layer, key)
        }
    }

    fn shape(&self, layer: Option<&LayerInfo>, key: &str, s: &[usize]) -> Vec<usize> {
        if self.format == Format::Burnpack {
            s.to_vec()
        } else {
            pytorch_shape(layer, key, s)
        }
    }

    /// A tensor of the network, with the file's shape where it differs.
    fn entry(&self, path: &String) -> Entry {
        let (layer, key) = self.name(path);
        let own = self.expected.get(path).cloned().unwrap_or_default();
        let shape = self.shape(layer, &key, &own);
        // Read before the adapter runs: already in the file's own layout.
        let file_shape = self.found.get(path).filter(|f| **f != shape).cloned();
        Entry {
            key,
            shape,
            file_shape,
        }
    }

    /// A tensor of the file no layer takes.
    fn unused(&self, path: &String) -> Entry {
        Entry {
            key: self.name(path).1,
            shape: self.found.get(path).cloned().unwrap_or_default(),
            file_shape: None,
        }
    }

    /// What burn-store could not apply: always errors.
    fn errors(&self, errors: Vec<ApplyError>) -> Vec<Mismatch> {
        errors
            .into_iter()
            .map(|error| match error {
                ApplyError::ShapeMismatch { path, .. } => {
                    let (layer, _) = self.name(&path);
                    let entry = self.entry(&path);
                    Mismatch::Shape {
                        layer: dsl(layer),
                        key: entry.key,
                        expected: entry.shape,
                        found: self.found.get(&path).cloned().unwrap_or_default(),
                    }
                }
                ApplyError::DTypeMismatch {
                    path,
                    expected,
                    found,
                } => {
                    let (layer, key) = self.name(&path);
                    Mismatch::DType {
                        layer: dsl(layer),
                        key,
                        expected: format!("{expected:?}"),
                        found: format!("{found:?}"),
                    }
                }
                ApplyError::AdapterError { path, message }
                | ApplyError::LoadError { path, message } => Mismatch::Unreadable {
                    key: self.name(&path).1,
                    message,
                },
            })
            .collect()
    }

    /// What a strict load refuses besides: tensors missing from the file
    /// and tensors of the file no layer takes.
    fn strict(&self, report: &LoadReport) -> Vec<Mismatch> {
        let missing = report.missing.iter().map(|e| Mismatch::Missing {
            layer: dsl(self.layer_of(&e.key)),
            key: e.key.clone(),
            expected: e.shape.clone(),
        });
        let unused = report.unused.iter().map(|e| Mismatch::Unexpected {
            key: e.key.clone(),
            shape: e.shape.clone(),
        });
        missing.chain(unused).collect()
    }

    /// The layer of a tensor named as the file names it.
    fn layer_of(&self, key: &str) -> Option<&'static LayerInfo> {
        self.expected
            .keys()
            .map(|path| self.name(path))
            .find(|(_, k)| k == key)
            .and_then(|(layer, _)| layer)
    }
}
