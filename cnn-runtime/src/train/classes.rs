//! Class names travel with a trained model: one name per line in a text
//! file beside it, `net.bpk` → `net.classes.txt`.

use std::io;
use std::path::{Path, PathBuf};

use super::ImageDataset;

/// Where the class names of the model saved at `model` go:
/// `dir/net.bpk` → `dir/net.classes.txt`.
pub fn classes_path(model: impl AsRef<Path>) -> PathBuf {
    model.as_ref().with_extension("classes.txt")
}

impl ImageDataset {
    /// Writes the class names beside the model saved at `model` (see
    /// [`classes_path`]), one per line, label 0 first; returns the file.
    /// [`load_classes`] reads them back.
    pub fn save_classes(&self, model: impl AsRef<Path>) -> io::Result<PathBuf> {
        let path = classes_path(model);
        if let Some(name) = self
            .classes()
            .iter()
            .find(|name| name.contains(['\n', '\r']))
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("the class name {name:?} holds a line break, which a line per name cannot"),
            ));
        }
        let mut text = self.classes().join("\n");
        text.push('\n');
        std::fs::write(&path, text).map_err(|e| in_file(&path, e))?;
        Ok(path)
    }
}

/// The class names saved beside the model at `model` by
/// [`ImageDataset::save_classes`], label 0 first.
pub fn load_classes(model: impl AsRef<Path>) -> io::Result<Vec<String>> {
    let path = classes_path(model);
    let text = std::fs::read_to_string(&path).map_err(|e| in_file(&path, e))?;
    Ok(text.lines().map(str::to_owned).collect())
}

/// `error`, naming the file it happened to.
fn in_file(path: &Path, error: io::Error) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}
