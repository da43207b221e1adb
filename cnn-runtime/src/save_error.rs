//! Why a network could not be saved.

use std::fmt;
use std::path::{Path, PathBuf};

/// A network that could not be written to a file (burnpack, safetensors
/// or ONNX): the folder is missing or read-only, the disk is full, or the
/// writer refused its tensors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaveError {
    /// The network being saved.
    pub network: &'static str,
    /// The file.
    pub path: PathBuf,
    /// What the writer said.
    pub message: String,
}

impl SaveError {
    /// A constructor of the error for `network` and `path`, from a message.
    pub(crate) fn at<'a>(
        network: &'static str,
        path: &'a Path,
    ) -> impl Fn(String) -> SaveError + 'a {
        move |message| SaveError {
            network,
            path: path.to_path_buf(),
            message,
        }
    }
}

impl fmt::Display for SaveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot save `{}` to {}: {}",
            self.network,
            self.path.display(),
            self.message
        )
    }
}

impl std::error::Error for SaveError {}
