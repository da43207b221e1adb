//! Weights out: burn's burnpack, and `.safetensors` with exactly the keys
//! and layouts of the network's PyTorch twin (`Net::PYTORCH`), so that
//! `twin.load_state_dict(safetensors.torch.load_file(path))` takes them
//! unchanged. Written by burn-store; this module only names the keys.

use std::path::Path;

use burn::store::{
    BurnToPyTorchAdapter, BurnpackStore, KeyRemapper, ModuleSnapshot, SafetensorsStore,
};

use crate::LayerInfo;
use crate::load::{Format, LoadError, positions, regex_escape};

/// Saves `model` to `path` in `format`, replacing the file. Hidden: the
/// generated `save_*` methods call it.
#[doc(hidden)]
pub fn save<M: ModuleSnapshot>(
    model: &M,
    network: &'static str,
    layers: &'static [LayerInfo],
    format: Format,
    path: &Path,
) -> Result<(), LoadError> {
    let error = |message: String| LoadError::File {
        network,
        path: path.to_path_buf(),
        message,
    };
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
            let remapper = KeyRemapper::from_patterns(export_patterns(layers))
                .map_err(|e| error(e.to_string()))?;
            let mut store = SafetensorsStore::from_file(path)
                .with_to_adapter(BurnToPyTorchAdapter)
                .remap(remapper)
                .overwrite(true);
            model
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
        for (pytorch, burn) in layer.keys {
            patterns.push((
                format!(r"^{field}\.{burn}$"),
                format!("{position}.{pytorch}"),
            ));
        }
        patterns.push((format!(r"^{field}\.(.+)$"), format!("{position}.$1")));
    }
    patterns
}
