//! The validated network: what `check.rs` produces and `expand.rs` consumes.
//! Every shape, count and receptive field here was computed by the `cnn-shape` rules.

use crate::layers::{self, Bound};
use crate::shape::Receptive;
use proc_macro2::{Span, TokenStream};
use std::any::Any;
use std::sync::Arc;
use syn::{Attribute, Ident, Visibility};

use crate::shape::Entry;
pub use crate::shape::Shape;
pub use crate::shape::merge::Merge;

/// A layer's struct field: the burn module it holds.
#[derive(Debug, Clone)]
pub struct Field {
    /// The module's type, `burn::nn::conv::Conv2d`.
    pub ty: TokenStream,
    /// Its initialiser, `burn::nn::conv::Conv2dConfig::new([1, 6], [5, 5]).init(device)`.
    pub init: TokenStream,
}

/// How a layer runs in `forward`: decided in `check.rs`, printed by `expand.rs`.
#[derive(Debug, Clone)]
pub enum Step {
    /// `self.field.forward(x)`: the burn module in the layer's field.
    Forward(Ident),
    /// `path(&self.field, x)`: a runtime helper that runs the layer's burn
    /// module its own way (`dropout2d` draws one mask per channel).
    WithModule(Ident, TokenStream),
    /// A plain expression of `x` (an activation, a reshape, a runtime helper).
    Function(TokenStream),
    /// `__private::name(x)`: a runtime function of `x` (`relu6`, whose backward
    /// step runs on the fast kernels when training on flex).
    Runtime(TokenStream),
    /// A pool whose windows tile its input.
    TiledPool(Tiled),
    /// PyTorch's `nn.Upsample` formula (the runtime's `resample`), where burn's
    /// `Interpolate2d` differs from PyTorch.
    Resample(Resample),
    /// A `conv` followed by a `batchnorm`, one step: at inference the runtime
    /// folds the normalization into the convolution, from the batch that
    /// `shape::fold_from_batch` computes for the input it is given.
    ConvBatchnorm {
        /// The convolution's field.
        conv: Ident,
        /// The batchnorm's field.
        batchnorm: Ident,
    },
    /// A batchnorm that the `conv` before it runs (see [`Step::ConvBatchnorm`]).
    FoldedIntoConv,
    /// `upsample(like = w)`: PyTorch's `F.interpolate` to the H×W of the
    /// wire `w`, read from it at run time.
    ResampleLike {
        /// The wire.
        like: Wire,
        /// Linear on every axis (`bilinear`, `linear`, `trilinear`), else nearest.
        bilinear: bool,
        /// `align_corners`.
        align_corners: bool,
        /// The maps' spatial rank.
        rank: usize,
    },
    /// The input unchanged: no step.
    Identity,
}

/// A wire: a tensor of the network given a name (`node as w`), read by
/// `from(w)`, `add`'s branches and `upsample(like = w)`. Each binding is a
/// wire of its own (a block's wires in each use, a `repeat`'s in each
/// repetition): `id` numbers them in the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wire {
    /// Its number in the network.
    pub id: usize,
    /// Its name as written (`input` for a block's or the network's input).
    pub name: String,
}

impl Wire {
    /// The local variable that holds it in the generated code: `layer3_4`.
    pub fn var(&self) -> Ident {
        crate::names::field(&format!("{}_{}", self.name, self.id))
    }
}

/// A named output of the network (`output(aux)`).
#[derive(Debug, Clone)]
pub struct Output {
    /// Its name as written (`aux`, `"0"`).
    pub name: String,
    /// Its field in the generated outputs struct (`aux`, `_0`).
    pub field: Ident,
    /// Per-sample shape at the declared input.
    pub shape: Shape,
}

/// A pool whose windows tile its input (kernel = stride, no padding, no
/// dilation, floor mode): each window gets two axes of its own, reduced by
/// max or mean, which flex runs 2.5–3× faster than its pooling kernel (that
/// one also computes the indices backward needs); the numbers are the same.
/// On an autodiff device burn's pooling runs, whose backward pass is faster.
/// Whether windows tile does not depend on the input size; the sizes are
/// read from the tensor at run time (the runtime's `tiled_pool`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tiled {
    /// Max (else average) pooling.
    pub max: bool,
    /// Kernel = stride.
    pub kernel: [u64; 2],
}

/// Upsampling by PyTorch's formula; the output size is `size`, or computed
/// from the input at run time by `shape::upsample_out`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resample {
    /// `size` as written, if any.
    pub size: Option<[u64; 2]>,
    /// `scale_factor` as written, if any.
    pub scale: Option<[f64; 2]>,
    /// Bilinear, else nearest.
    pub bilinear: bool,
    /// `align_corners`.
    pub align_corners: bool,
}

/// One checked layer.
#[derive(Debug, Clone)]
pub struct Layer {
    /// The call as bound to its kind's schema.
    pub bound: Bound,
    /// The kind's typed layer.
    pub kind: Arc<dyn layers::Layer>,
    /// The DSL text, normalised (`conv(1, 6, 5)`).
    pub dsl: String,
    /// The struct field holding the burn module (`conv1`) with its type and
    /// initialiser; `None` for stateless layers, which are plain expressions.
    pub field: Option<(Ident, Field)>,
    /// How the layer runs in `forward`.
    pub step: Step,
    /// How it runs on the fast path (`fast.rs` decides).
    pub fast: crate::fast::FastStep,
    /// Per-sample input shape.
    pub input: Shape,
    /// Per-sample output shape.
    pub output: Shape,
    /// Trainable parameters, counted as PyTorch counts them.
    pub params: u64,
    /// Multiply-accumulates per sample.
    pub macs: u64,
    /// Receptive field per axis after this layer (`None` after `flatten`, or
    /// if it stopped being representable in 64-bit fractions).
    pub receptive: Option<[Receptive; 3]>,
    /// The span of the layer's name, for generated code.
    pub span: Span,
    /// Its key in its scope of the PyTorch twin: its name (`conv1`) or its
    /// position (`3`).
    pub segment: String,
    /// Whether its input is a channels-last map (after `permute(0, 2, 3, 1)`).
    pub channels_last: bool,
    /// `upsample(like = w)`: the wire whose H×W it takes.
    pub like: Option<Wire>,
}

/// The network's structure. Layers are indices into [`Network::layers`].
#[derive(Debug, Clone)]
pub enum Node {
    /// One layer.
    Layer(usize),
    /// `body(x) + x`, or `body(x) + shortcut(x)`.
    Residual {
        /// The body.
        body: Vec<Node>,
        /// The shortcut (`None`: the identity).
        shortcut: Option<Vec<Node>>,
    },
    /// `concat`, `multiply` or `split`: the branches joined (an empty branch
    /// is the identity).
    Merge {
        /// Which merge.
        merge: Merge,
        /// Per-sample input shape (on the declared input; its channels are
        /// the same on every input).
        input: Shape,
        /// The branches.
        branches: Vec<Vec<Node>>,
    },
    /// A block use or a group: a sub-module of its own.
    Scope(Scope),
    /// `as w`: the current tensor is also the wire `w` (and at the start of
    /// a block's body or the network's, `input`, where read).
    Bind(Wire),
    /// `from(w)`: the current tensor becomes the wire `w`.
    From(Wire),
    /// `output(name)`: the current tensor is also the output
    /// [`Network::outputs`]`[n]`.
    Output(usize),
}

/// A block use or a group: a generated sub-module.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The field that holds it in its parent (`layer1`, `basic2`).
    pub field: Ident,
    /// Its key in the parent's scope of the PyTorch twin (`layer1`, `4`).
    pub segment: String,
    /// The block's name (`basic`), or `None` for a group.
    pub block: Option<String>,
    /// The call as written, arguments substituted (`basic(64)`), or `{…}`.
    pub dsl: String,
    /// What it runs.
    pub body: Vec<Node>,
    /// Per-sample input shape.
    pub input: Shape,
    /// Per-sample output shape.
    pub output: Shape,
    /// A group that binds or reads wires or holds outputs: its layers run
    /// in the enclosing module's `forward` (its wires are read outside it),
    /// its struct holds their fields.
    pub open: bool,
    /// Its row in the layer table.
    pub row: Option<usize>,
}

/// Whether `nodes` bind or read a wire or hold an output, outside the
/// bodies of the blocks they use (whose wires are their own).
pub fn touches_wires(nodes: &[Node], layers: &[Layer]) -> bool {
    nodes.iter().any(|node| match node {
        Node::Layer(i) => layers[*i].like.is_some(),
        Node::Bind(_) | Node::From(_) | Node::Output(_) => true,
        Node::Residual { body, shortcut } => {
            touches_wires(body, layers)
                || shortcut.as_ref().is_some_and(|s| touches_wires(s, layers))
        }
        Node::Merge { branches, .. } => branches.iter().any(|b| touches_wires(b, layers)),
        Node::Scope(scope) => scope.open,
    })
}

/// What a row of the layer table is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    /// A layer: index into [`Network::layers`].
    Layer(usize),
    /// A block use or a group.
    Block,
    /// A `residual`.
    Residual,
    /// A `concat`, `multiply` or `split`.
    Merge(Merge),
    /// A residual's shortcut or a concat's branch.
    Branch,
    /// `from(w)`.
    From,
    /// `output(name)`.
    Output,
}

/// One row of the layer table (`LAYERS`), in pre-order: a block's row comes
/// before its layers and carries their subtotals.
#[derive(Debug, Clone)]
pub struct Row {
    /// What it is.
    pub kind: RowKind,
    /// The DSL text (`conv(1, 6, 5)`, `basic(64)`, `residual`, `branch 2`).
    pub dsl: String,
    /// Nesting depth (0 for the network's own list).
    pub depth: usize,
    /// The key prefix in the PyTorch twin's state_dict (`layer1.0.conv1`);
    /// empty for rows that add no key (`residual`, `concat`, branches).
    pub path: String,
    /// The burn module path (`layer1.basic1.conv1`), for rows with a module.
    pub field: Option<String>,
    /// Per-sample output shape (`None` for an empty branch's row: the input).
    pub output: Shape,
    /// Parameters (subtotal for a block).
    pub params: u64,
    /// MACs per sample (subtotal for a block).
    pub macs: u64,
    /// Receptive field after it.
    pub receptive: Option<[Receptive; 3]>,
    /// The wires bound to its output (`as w`), after it (after the end of
    /// a structure); on a block's row, also the wire of its `input` first.
    pub binds: Binds,
}

/// The wires a row binds, for the plan.
#[derive(Debug, Clone, Default)]
pub struct Binds {
    /// A block use's `input`, bound as its body starts.
    pub input: Option<usize>,
    /// `as w` on the row's node, bound once the node (with its body) ran.
    pub after: Vec<usize>,
    /// The wire a `from(w)` row reads.
    pub from: Option<usize>,
}

impl Layer {
    /// The kind's typed layer as `T`, if it is one (`layers::conv::Conv`).
    pub fn kind_as<T: 'static>(&self) -> Option<&T> {
        let any: &dyn Any = self.kind.as_ref();
        any.downcast_ref::<T>()
    }

    /// The equivalent PyTorch module's source.
    pub fn pytorch(&self) -> String {
        self.kind.pytorch(&self.bound)
    }
}

/// A network that passed every check.
#[derive(Debug, Clone)]
pub struct Network {
    /// The runtime crate's path (`$crate`).
    pub krate: TokenStream,
    /// Doc attributes.
    pub attrs: Vec<Attribute>,
    /// The struct's visibility.
    pub vis: Visibility,
    /// The struct's name.
    pub name: Ident,
    /// The declared per-sample input: `[C, L]`, `[C, H, W]` or `[C, D, H, W]`.
    pub input: Shape,
    /// Every layer, in order (inside blocks too).
    pub layers: Vec<Layer>,
    /// The structure, over `layers`.
    pub body: Vec<Node>,
    /// The layer table, in pre-order.
    pub rows: Vec<Row>,
    /// Total parameters.
    pub params: u64,
    /// Total multiply-accumulates per sample.
    pub macs: u64,
    /// Per-sample output shape.
    pub output: Shape,
    /// The named outputs, in order (`output(aux)`).
    pub outputs: Vec<Output>,
    /// The wire of the network's `input`, where read.
    pub input_wire: Option<usize>,
}

impl Network {
    /// The declared per-sample input.
    pub fn input_shape(&self) -> Shape {
        self.input
    }

    /// The spatial rank of its maps: 1, 2 or 3.
    pub fn rank(&self) -> usize {
        self.input.spatial().map_or(2, |size| size.rank())
    }

    /// The network's shape rules as data, for the runtime: one entry per
    /// row of the layer table (in its order), and an `End` after the rows
    /// of each block, residual, shortcut, concat and branch.
    pub fn plan(&self) -> Vec<Entry<'_>> {
        let mut entries = Vec::with_capacity(self.rows.len() * 2);
        entries.extend(self.input_wire.map(Entry::Bind));
        let mut open: Vec<&Row> = Vec::new();
        let close = |entries: &mut Vec<Entry<'_>>, row: &Row| {
            entries.push(Entry::End);
            entries.extend(row.binds.after.iter().map(|&w| Entry::Bind(w)));
        };
        for row in &self.rows {
            while open.last().is_some_and(|r| r.depth >= row.depth) {
                close(&mut entries, open.pop().expect("checked"));
            }
            let entry = match row.kind {
                RowKind::Layer(i) => {
                    let layer = &self.layers[i];
                    entries.push(match &layer.like {
                        Some(like) => Entry::Like {
                            dsl: &row.dsl,
                            wire: like.id,
                        },
                        None => Entry::Layer {
                            dsl: &row.dsl,
                            op: layer.kind.op(),
                            notes: layer.kind.in_notes(),
                        },
                    });
                    entries.extend(row.binds.after.iter().map(|&w| Entry::Bind(w)));
                    continue;
                }
                RowKind::From | RowKind::Output => {
                    entries.push(match &row.kind {
                        RowKind::From => Entry::From {
                            dsl: &row.dsl,
                            wire: row.binds.from.unwrap_or(0),
                        },
                        _ => Entry::Output,
                    });
                    entries.extend(row.binds.after.iter().map(|&w| Entry::Bind(w)));
                    continue;
                }
                RowKind::Block => Entry::Block,
                RowKind::Residual => Entry::Residual,
                RowKind::Merge(merge) => Entry::Merge(merge),
                RowKind::Branch if row.dsl == "shortcut" => Entry::Shortcut,
                RowKind::Branch => Entry::Branch,
            };
            entries.push(entry);
            if row.kind == RowKind::Block {
                entries.extend(row.binds.input.map(Entry::Bind));
            }
            open.push(row);
        }
        while let Some(row) = open.pop() {
            close(&mut entries, row);
        }
        entries
    }

    /// The per-sample output shape.
    pub fn output(&self) -> Shape {
        self.output
    }

    /// Whether the network has named outputs (`forward_outputs`).
    pub fn has_outputs(&self) -> bool {
        !self.outputs.is_empty()
    }

    /// Whether the network is a plain chain of unnamed layers, whose twin is an
    /// `nn.Sequential`.
    pub fn is_chain(&self) -> bool {
        self.body.iter().all(|n| matches!(n, Node::Layer(_)))
            && self
                .layers
                .iter()
                .enumerate()
                .all(|(i, l)| l.segment == i.to_string())
    }
}

/// What is left of a network that failed its checks: enough to emit a stub
/// with the same name and methods, so the user sees only the real errors.
pub struct Stub {
    /// The runtime crate's path.
    pub krate: TokenStream,
    /// The struct's visibility.
    pub vis: Visibility,
    /// The struct's name.
    pub name: Ident,
    /// Whether the layer list contains `flatten` (the rank of `forward`'s output).
    pub flat: bool,
}

/// `basic_down` → `BasicDown`: a block's struct and class name, a layer
/// kind's `LayerKind` variant.
pub fn camel_case(name: &str) -> String {
    name.split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut chars = p.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}
