//! Every way a weight file can fail to fit a network, named by layer, key
//! and both shapes.

use super::keys::KeyError;
use crate::info::dims;
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
    /// A name given to [`Load::skip`](crate::Load::skip) is not a key of the network.
    Key(KeyError),
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
                    write!(f, "{one}")?;
                    return skip_help(f, problems);
                }
                write!(f, "{} tensors do not fit", problems.len())?;
                for p in problems {
                    write!(f, "\n  - {p}")?;
                }
                skip_help(f, problems)
            }
            LoadError::Key(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for LoadError {}

impl From<KeyError> for LoadError {
    fn from(error: KeyError) -> LoadError {
        LoadError::Key(error)
    }
}

/// Where tensors have other shapes (a new head), the way forward: load
/// with those layers skipped, freshly initialised.
fn skip_help(f: &mut fmt::Formatter<'_>, problems: &[Mismatch]) -> fmt::Result {
    let mut layers: Vec<&str> = Vec::new();
    for p in problems {
        if let Mismatch::Shape { key, .. } = p {
            let layer = key
                .rsplit_once('.')
                .map_or(key.as_str(), |(layer, _)| layer);
            if !layers.contains(&layer) {
                layers.push(layer);
            }
        }
    }
    if layers.is_empty() {
        return Ok(());
    }
    let skips: String = layers.iter().map(|l| format!(".skip(\"{l}\")")).collect();
    write!(
        f,
        "\n  help: to load the rest and keep {} freshly initialised, load with `Load::strict(){skips}` (the `load_*_with` methods)",
        if layers.len() == 1 {
            "that layer"
        } else {
            "those layers"
        }
    )
}
