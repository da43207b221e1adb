//! Freezing by PyTorch key: the names of the summary's Key column
//! (`layer1.0.conv1`, `fc`) turned into burn's field paths through
//! `LAYERS`, for `freeze_keys`, `unfreeze_keys`, `train_only`,
//! `param_group` (per-group learning rates) and `summary_trainable`.
//!
//! Freezing a layer is burn's `freeze_group` for it: its parameters stop
//! requiring gradients and its training flags turn off (a frozen batchnorm
//! normalises with its running statistics and keeps them). Unlike burn's
//! own methods, these first initialise a lazy parameter, so that freezing a
//! clone of a fresh network cannot freeze the network it was cloned from
//! (their lazy parameters share one initialiser in burn 0.22). Every change
//! returns the network in training mode (`Module::train`), so a model
//! burn-train handed back after its validation pass trains again.

use crate::LayerInfo;
use crate::load::{KeyError, nearest_of, pytorch_key, regex_escape, select, under};
use burn::module::{Flag, Module, ModuleMapper, ModuleVisitor, Param, ParamGroup};
use burn::tensor::Tensor;

/// Which parameters a change touches, and how.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub enum Change<'a> {
    /// Those under the keys stop training.
    Freeze(&'a [&'a str]),
    /// Those under the keys train.
    Unfreeze(&'a [&'a str]),
    /// Those under the keys train, every other one is frozen.
    Only(&'a [&'a str]),
    /// Every parameter trains.
    All,
}

/// Applies `change` to `model`. The keys are checked before the model is
/// touched. Hidden: the generated methods call it.
#[doc(hidden)]
pub fn set_trainable<M: Module>(
    model: M,
    network: &'static str,
    layers: &'static [LayerInfo],
    change: Change<'_>,
) -> Result<M, KeyError> {
    let (fields, inside, outside) = match change {
        Change::Freeze(keys) => (checked(&model, network, layers, keys)?, Some(false), None),
        Change::Unfreeze(keys) => (checked(&model, network, layers, keys)?, Some(true), None),
        Change::Only(keys) => (
            checked(&model, network, layers, keys)?,
            Some(true),
            Some(false),
        ),
        Change::All => (Vec::new(), None, Some(true)),
    };
    let mut mapper = SetTrainable {
        path: Vec::new(),
        fields,
        inside,
        outside,
    };
    Ok(model.map(&mut mapper).train())
}

/// The field paths of `keys`, each of which must select a parameter.
fn checked<M: Module>(
    model: &M,
    network: &'static str,
    layers: &'static [LayerInfo],
    keys: &[&str],
) -> Result<Vec<String>, KeyError> {
    let params = parameters(model);
    for key in keys {
        let fields = select(network, layers, &[key])?;
        if !params.iter().any(|p| under(&fields, &p.path)) {
            // A tensor the layer lacks (`conv1.bias` of a conv without bias):
            // the nearest of the tensors the network has, by their keys.
            let keys: Vec<String> = params
                .iter()
                .map(|p| pytorch_key(layers, &p.path).1)
                .collect();
            return Err(KeyError {
                network,
                key: key.to_string(),
                nearest: nearest_of(&keys, key),
            });
        }
    }
    select(network, layers, keys)
}

/// burn's parameter group of the parameters under `keys`, for per-group
/// learning rates (`ModuleLrScheduler::with_group`) or optimizers
/// (`ModuleOptimizer::with_group`). Hidden: `Net::param_group` calls it.
#[doc(hidden)]
pub fn param_group(
    network: &'static str,
    layers: &'static [LayerInfo],
    keys: &[&str],
) -> Result<ParamGroup, KeyError> {
    let fields = select(network, layers, keys)?;
    let alternatives: Vec<String> = fields.iter().map(|f| regex_escape(f)).collect();
    let pattern = format!(r"^(?:{})(?:\.|$)", alternatives.join("|"));
    Ok(ParamGroup::from_regex(pattern).expect("escaped field paths form a valid pattern"))
}

/// Frozen parameters per entry of `layers` (a block's entry: its layers'
/// sum), counted as PyTorch counts `requires_grad = False` ones; `None` where
/// burn was built without autodiff, which has no gradients to freeze.
#[doc(hidden)]
pub fn frozen_params<M: Module>(model: &M, layers: &'static [LayerInfo]) -> Option<Vec<usize>> {
    // A model in validation mode holds untracked tensors: its settings show
    // through in training mode.
    let params = parameters(model);
    let params = if params.iter().any(|p| p.autodiff) {
        params
    } else {
        parameters(&model.clone().train())
    };
    if !params.iter().any(|p| p.autodiff) {
        return None;
    }
    let mut frozen = vec![0; layers.len()];
    for (i, layer) in layers.iter().enumerate() {
        let Some(field) = layer.field.filter(|_| layer.kind.is_layer()) else {
            continue;
        };
        let field = [field.to_string()];
        let mine = || params.iter().filter(|p| under(&field, &p.path));
        // Buffers (batchnorm's running statistics) never require gradients
        // and are no parameters to PyTorch: what the layer holds beyond its
        // parameters is buffers.
        let held: usize = mine().map(|p| p.numel).sum();
        let untracked: usize = mine().filter(|p| !p.require_grad).map(|p| p.numel).sum();
        frozen[i] = untracked.saturating_sub(held.saturating_sub(layer.params));
    }
    // A block's entry comes before its layers, which are deeper.
    for i in (0..layers.len()).rev() {
        if !layers[i].kind.is_layer() {
            frozen[i] = layers[i + 1..]
                .iter()
                .zip(&frozen[i + 1..])
                .take_while(|(l, _)| l.depth > layers[i].depth)
                .filter(|(l, _)| l.depth == layers[i].depth + 1)
                .map(|(_, n)| n)
                .sum();
        }
    }
    Some(frozen)
}

/// A float parameter: its field path, size and whether it trains.
struct Parameter {
    path: String,
    numel: usize,
    require_grad: bool,
    autodiff: bool,
}

fn parameters<M: Module>(model: &M) -> Vec<Parameter> {
    let mut visitor = Parameters::default();
    model.visit(&mut visitor);
    visitor.found
}

#[derive(Default)]
struct Parameters {
    path: Vec<String>,
    found: Vec<Parameter>,
}

impl ModuleVisitor for Parameters {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val();
        self.found.push(Parameter {
            path: self.path.join("."),
            numel: value.shape().num_elements(),
            require_grad: value.is_require_grad(),
            autodiff: value.is_autodiff(),
        });
    }
}

/// Sets gradients and training flags inside and outside `fields`.
struct SetTrainable {
    path: Vec<String>,
    fields: Vec<String>,
    /// What parameters under `fields` become, if they change.
    inside: Option<bool>,
    /// What every other parameter becomes, if it changes.
    outside: Option<bool>,
}

impl SetTrainable {
    fn target(&self) -> Option<bool> {
        if under(&self.fields, &self.path.join(".")) {
            self.inside
        } else {
            self.outside
        }
    }
}

impl ModuleMapper for SetTrainable {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        match self.target() {
            Some(train) => {
                // Initialise a lazy parameter first: its setting would otherwise
                // go into the initialiser it shares with its clones.
                let _ = param.val();
                param.set_require_grad(train)
            }
            None => param,
        }
    }

    fn map_flag(&mut self, flag: Param<Flag>) -> Param<Flag> {
        match self.target() {
            Some(train) => flag.with_value(train),
            None => flag,
        }
    }
}
