//! Partial loading: what to skip ([`Load`]) and what happened to every
//! tensor ([`LoadReport`]), for fine-tuning a pretrained network with a new
//! head.

use crate::info::{dims, grouped};
use std::fmt;
use std::path::PathBuf;

/// How `load_*_with` treats a file that does not fit the network exactly.
///
/// ```
/// use cnn_runtime::{Load, cnn};
/// # let dir = std::env::temp_dir().join(format!("cnn-load-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// # let path = dir.join("pretrained.safetensors");
///
/// cnn! {
///     struct Pretrained: [1, 8, 8] { conv1: conv(1, 4, 3) relu flatten fc: linear(144, 100) }
///     struct Tuned: [1, 8, 8] { conv1: conv(1, 4, 3) relu flatten fc: linear(144, 10) }
/// }
///
/// let device = cnn_runtime::burn::tensor::Device::default();
/// Pretrained::init(&device).save_safetensors(&path)?;
/// // A new head: every tensor but the head's must come from the file.
/// let (net, report) = Tuned::load_safetensors_with(&path, &device, Load::strict().skip("fc"))?;
/// assert_eq!((report.applied.len(), report.skipped.len()), (2, 2));
/// println!("{report}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Names are PyTorch's state_dict keys or prefixes of them, as in the Key
/// column of `summary()`: `"fc"`, `"layer4"`, `"layer4.1.bn2"`,
/// `"fc.bias"`. A name that is not one is a [`LoadError::Key`](crate::LoadError::Key).
/// A tensor whose shape differs is never applied: it is skipped by name or
/// it is an error (whose message says which `skip` would load the rest).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Load {
    partial: bool,
    skip: Vec<String>,
}

impl Load {
    /// Every tensor of the network (but the skipped) must be in the file and
    /// every tensor of the file (but the skipped) must be taken.
    pub fn strict() -> Load {
        Load::default()
    }

    /// Tensors the file lacks keep their fresh initialisation and tensors no
    /// layer takes are left in the file; both are listed in the
    /// [`LoadReport`]. Shape and type mismatches are still errors unless
    /// skipped by name.
    pub fn partial() -> Load {
        Load {
            partial: true,
            skip: Vec::new(),
        }
    }

    /// Leaves the tensors under `key` freshly initialised, whatever the file
    /// holds for them (a new head: `"fc"`). May be called more than once.
    pub fn skip(mut self, key: impl Into<String>) -> Load {
        self.skip.push(key.into());
        self
    }

    /// Whether tensors may be missing from the file or left unused in it.
    pub fn is_partial(&self) -> bool {
        self.partial
    }

    /// The names given to [`Load::skip`].
    pub fn skipped(&self) -> &[String] {
        &self.skip
    }
}

/// One tensor in a [`LoadReport`], named and shaped as PyTorch names and
/// shapes it (a linear weight is `[out, in]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The state_dict key (`layer1.0.conv1.weight`; in a burnpack file, burn's path).
    pub key: String,
    /// The network's shape for it (for a tensor unused in the file: the file's).
    pub shape: Vec<usize>,
    /// The file's shape, where the file has the tensor and it differs.
    pub file_shape: Option<Vec<usize>>,
}

impl Entry {
    /// How many numbers the tensor holds.
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }
}

/// What a partial load did with every tensor: applied from the file,
/// skipped by name, missing from the file (both kept fresh), or unused in
/// the file. `{}` prints a short table, `{:#}` every key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadReport {
    /// The network loaded.
    pub network: &'static str,
    /// The file.
    pub path: PathBuf,
    /// Tensors taken from the file.
    pub applied: Vec<Entry>,
    /// Tensors skipped by name: freshly initialised.
    pub skipped: Vec<Entry>,
    /// Tensors the file lacks: freshly initialised.
    pub missing: Vec<Entry>,
    /// Tensors of the file no layer takes (PyTorch's `num_batches_tracked`
    /// counters are not listed).
    pub unused: Vec<Entry>,
}

impl LoadReport {
    /// Whether every tensor of the network came from the file and every
    /// tensor of the file was taken.
    pub fn is_complete(&self) -> bool {
        self.skipped.is_empty() && self.missing.is_empty() && self.unused.is_empty()
    }

    /// The keys left freshly initialised (skipped or missing).
    pub fn fresh(&self) -> impl Iterator<Item = &str> {
        self.skipped
            .iter()
            .chain(&self.missing)
            .map(|e| e.key.as_str())
    }
}

/// How many keys a row of the short table lists before "…".
const LISTED: usize = 3;

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ← {}", self.network, self.path.display())?;
        let rows = [
            ("applied", &self.applied, false),
            ("skipped (fresh)", &self.skipped, true),
            ("missing (fresh)", &self.missing, true),
            ("unused in file", &self.unused, true),
        ];
        for (what, entries, list) in rows {
            let numel: usize = entries.iter().map(Entry::numel).sum();
            write!(
                f,
                "\n  {what:<16} {:>4} tensors {:>12} values",
                entries.len(),
                grouped(numel as u64)
            )?;
            if !list || entries.is_empty() {
                continue;
            }
            let shown = if f.alternate() { entries.len() } else { LISTED };
            let keys: Vec<String> = entries.iter().take(shown).map(entry).collect();
            write!(f, "  {}", keys.join(", "))?;
            if entries.len() > shown {
                write!(f, ", … {} more", entries.len() - shown)?;
            }
        }
        Ok(())
    }
}

/// `fc.weight [10, 512] (file [1000, 512])`.
fn entry(e: &Entry) -> String {
    match &e.file_shape {
        Some(file) => format!("{} {} (file {})", e.key, dims(&e.shape), dims(file)),
        None => format!("{} {}", e.key, dims(&e.shape)),
    }
}
