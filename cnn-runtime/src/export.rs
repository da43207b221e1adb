//! Weights out: burn's burnpack, and `.safetensors` with exactly the keys
//! and layouts of the network's PyTorch twin (`Net::PYTORCH`), so that
//! `twin.load_state_dict(safetensors.torch.load_file(path))` takes them
//! unchanged. Written by burn-store; this module only names the keys, and
//! adds the one tensor burn does not have: each batchnorm's
//! `num_batches_tracked`, a 0-dimensional `int64` that burn does not count
//! and that is written as 0, the value PyTorch itself gives a state_dict
//! without it (PyTorch reads it only for `momentum=None`, which `batchnorm`
//! does not take).

use std::path::Path;

use burn::module::{Module, ModuleDisplay, Param, ParamId};
use burn::store::burn_pack::Tensor as PackTensor;
use burn::store::{
    BurnToPyTorchAdapter, BurnpackStore, ChainAdapter, KeyRemapper, ModuleAdapter, ModuleContext,
    ModuleSnapshot, SafetensorsStore, bridge,
};
use burn::tensor::{DType, Int, Shape, Tensor, TensorData};

use crate::SaveError;
use crate::load::{Format, positions, regex_escape};
use crate::{LayerInfo, LayerKind};

/// The network and one counter per batchnorm, which burn-store collects
/// together: `_cnn_counters.0`, … are renamed to the twin's
/// `…num_batches_tracked` keys and written as 0-dimensional `int64` zeros.
#[derive(Module, Debug)]
struct WithCounters<M: Module> {
    net: M,
    _cnn_counters: Vec<Param<Tensor<1, Int>>>,
}

/// Turns the counters into PyTorch's `num_batches_tracked`: shape `[]`, `int64`, 0.
#[derive(Debug, Clone)]
struct Counters;

impl ModuleAdapter for Counters {
    fn adapt(&self, tensor: PackTensor, _ctx: ModuleContext<'_>) -> PackTensor {
        if !tensor.name.starts_with("_cnn_counters.") {
            return tensor;
        }
        let name = tensor.name.clone();
        bridge::map_data(tensor, name, DType::I64, Shape::new([]), |_| {
            TensorData::new(vec![0i64], Shape::new([]))
        })
    }

    fn clone_box(&self) -> Box<dyn ModuleAdapter> {
        Box::new(self.clone())
    }
}

/// The twin prefixes of the batchnorm layers, in order.
fn batchnorms(layers: &'static [LayerInfo]) -> Vec<&'static str> {
    layers
        .iter()
        .filter(|l| l.kind == LayerKind::Batchnorm)
        .map(|l| l.path)
        .collect()
}

/// Saves `model` to `path` in `format`, replacing the file. Hidden: the
/// generated `save_*` methods call it.
#[doc(hidden)]
pub fn save<M: Module + ModuleDisplay>(
    model: &M,
    network: &'static str,
    layers: &'static [LayerInfo],
    format: Format,
    path: &Path,
) -> Result<(), SaveError> {
    let error = SaveError::at(network, path);
    match format {
        Format::Burnpack => {
            let mut store = BurnpackStore::from_file(path)
                .auto_extension(false)
                .overwrite(true);
            model
                .save_into(&mut store)
                .map_err(|e| error(e.to_string()))
        }
        Format::Safetensors => {
            let counted = batchnorms(layers);
            let mut patterns = vec![(r"^net\.(.+)$".to_string(), "$1".to_string())];
            patterns.extend(export_patterns(layers));
            patterns.extend(counted.iter().enumerate().map(|(i, prefix)| {
                (
                    format!(r"^_cnn_counters\.{i}$"),
                    format!("{prefix}.num_batches_tracked"),
                )
            }));
            let remapper =
                KeyRemapper::from_patterns(patterns).map_err(|e| error(e.to_string()))?;
            let device = model.devices().into_iter().next().unwrap_or_default();
            let counters = counted
                .iter()
                .map(|_| Param::initialized(ParamId::new(), Tensor::<1, Int>::zeros([1], &device)))
                .collect();
            let wrapped = WithCounters {
                net: model.clone(),
                _cnn_counters: counters,
            };
            let mut store = SafetensorsStore::from_file(path)
                .with_to_adapter(ChainAdapter::new(BurnToPyTorchAdapter, Counters))
                .remap(remapper)
                .overwrite(true);
            wrapped
                .save_into(&mut store)
                .map_err(|e| error(e.to_string()))
        }
        Format::Pytorch => Err(error(
            "burn-store 0.22 reads PyTorch `.pt` files but cannot write them; \
             save safetensors, which PyTorch loads with `safetensors.torch.load_file`"
                .to_owned(),
        )),
    }
}

/// The key remapping from the fields to the twin's keys, the inverse of
/// loading's: a layer's renamed keys first (`prelu1.alpha` → `3.weight`),
/// then the rest (`conv2.weight` → `3.weight`). burn-store's adapter has
/// already turned a linear weight to PyTorch's `[out, in]` and batchnorm's
/// `gamma`/`beta` to `weight`/`bias`.
pub(crate) fn export_patterns(layers: &'static [LayerInfo]) -> Vec<(String, String)> {
    let mut patterns = Vec::new();
    for (position, layer, field) in positions(layers) {
        let field = regex_escape(field);
        // `$` starts a group in a replacement; `$$` is one `$`.
        let position = position.replace('$', "$$");
        for (pytorch, burn) in layer.keys {
            if pytorch.is_empty() {
                patterns.push((format!(r"^{field}$"), position.clone()));
                continue;
            }
            patterns.push((
                format!(r"^{field}\.{burn}$"),
                format!("{position}.{pytorch}"),
            ));
        }
        patterns.push((format!(r"^{field}\.(.+)$"), format!("{position}.$1")));
    }
    patterns
}
