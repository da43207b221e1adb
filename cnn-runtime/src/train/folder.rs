//! Image datasets from the layout everyone uses, `data/train/<class>/*.png`:
//! class names from the sub-folders, files decoded in parallel.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use super::ImageDataset;
use super::decode::{Decoded, ImageError, check_shape, decode};

/// Reads a folder of class folders into an [`ImageDataset`]:
///
/// ```text
/// data/train/cat/0001.png
/// data/train/cat/0002.jpg
/// data/train/dog/…
/// ```
///
/// Classes are the sub-folders' names, sorted as strings (label 0 is the
/// first; `c10` comes before `c2`, as torchvision sorts them);
/// each class takes the `.png`, `.jpg` and `.jpeg` files below its folder,
/// at any depth, in sorted order; other files are counted and left alone,
/// hidden ones (names starting with `.`) are not even counted.
/// Formats are recognised by their first bytes. Every image is converted to
/// the channels of `shape` (gray ↔ RGB) and must have its `H × W` unless
/// [`resize`](Self::resize) is on. A file that cannot be decoded is an error
/// naming it, or is skipped and counted with
/// [`skip_unreadable`](Self::skip_unreadable). Files are decoded on every
/// core.
///
/// ```no_run
/// # fn main() -> Result<(), cnn_runtime::train::ImageError> {
/// use cnn_runtime::train::ImageFolder;
///
/// let (train, report) = ImageFolder::new("data/train", [3, 32, 32])
///     .resize()
///     .skip_unreadable()
///     .load_report()?;
/// println!("{report}");
/// // The validation folder's labels must mean the same classes.
/// let valid = ImageFolder::new("data/valid", [3, 32, 32])
///     .classes(train.classes())
///     .load()?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "an ImageFolder reads nothing until `load`"]
pub struct ImageFolder {
    dir: PathBuf,
    shape: [usize; 3],
    resize: bool,
    skip_unreadable: bool,
    classes: Option<Vec<String>>,
    threads: Option<usize>,
}

/// What [`ImageFolder::load_report`] read, skipped and resized.
#[derive(Debug, Clone, PartialEq)]
pub struct FolderReport {
    /// The folder.
    pub dir: PathBuf,
    /// Images loaded.
    pub images: usize,
    /// Classes.
    pub classes: usize,
    /// Images that had another size and were resized.
    pub resized: usize,
    /// Files that could not be decoded, with the decoder's reason, in
    /// order (only with [`ImageFolder::skip_unreadable`]).
    pub skipped: Vec<(PathBuf, String)>,
    /// Files without a `.png`, `.jpg` or `.jpeg` extension, left alone.
    pub ignored: usize,
    /// Threads that decoded.
    pub threads: usize,
    /// Wall time of listing and decoding, in seconds.
    pub seconds: f64,
}

impl std::fmt::Display for FolderReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} images in {} classes from {} in {:.2} s ({} thread{})",
            self.images,
            self.classes,
            self.dir.display(),
            self.seconds,
            self.threads,
            if self.threads == 1 { "" } else { "s" }
        )?;
        if self.resized > 0 {
            write!(f, "; {} resized", self.resized)?;
        }
        if self.ignored > 0 {
            write!(f, "; {} other files ignored", self.ignored)?;
        }
        if let Some((first, reason)) = self.skipped.first() {
            write!(
                f,
                "; {} unreadable skipped, the first {}: {reason}",
                self.skipped.len(),
                first.display()
            )?;
        }
        Ok(())
    }
}

impl ImageDataset {
    /// The images below `dir`, one sub-folder per class, as the network of
    /// input `shape` (`Net::INPUT_SHAPE`) takes them: see [`ImageFolder`],
    /// which also resizes, skips unreadable files and reports.
    pub fn from_folder(dir: impl AsRef<Path>, shape: [usize; 3]) -> Result<Self, ImageError> {
        ImageFolder::new(dir, shape).load()
    }
}

impl ImageFolder {
    /// A reader of the class folders below `dir` for images of `shape`
    /// (`[C, H, W]`, C = 1, 3 or 4).
    pub fn new(dir: impl AsRef<Path>, shape: [usize; 3]) -> ImageFolder {
        ImageFolder {
            dir: dir.as_ref().to_owned(),
            shape,
            resize: false,
            skip_unreadable: false,
            classes: None,
            threads: None,
        }
    }

    /// Resizes images of another size to the shape's `H × W` (bilinear,
    /// antialiased when shrinking) instead of refusing them.
    pub fn resize(self) -> ImageFolder {
        ImageFolder {
            resize: true,
            ..self
        }
    }

    /// Skips files that cannot be decoded (and counts them in the
    /// [`FolderReport`]) instead of failing on the first.
    pub fn skip_unreadable(self) -> ImageFolder {
        ImageFolder {
            skip_unreadable: true,
            ..self
        }
    }

    /// Fixes the classes and their order (a validation folder takes the
    /// training set's [`ImageDataset::classes`]): a sub-folder with another
    /// name is an error, a class without a folder has no images.
    pub fn classes<S: AsRef<str>>(self, names: &[S]) -> ImageFolder {
        let names = names.iter().map(|name| name.as_ref().to_owned()).collect();
        ImageFolder {
            classes: Some(names),
            ..self
        }
    }

    /// Decodes on `threads` threads (default: every core).
    pub fn threads(self, threads: usize) -> ImageFolder {
        ImageFolder {
            threads: Some(threads.max(1)),
            ..self
        }
    }

    /// Reads every image.
    pub fn load(self) -> Result<ImageDataset, ImageError> {
        self.load_report().map(|(dataset, _)| dataset)
    }

    /// Reads every image, and says what was read, skipped and resized.
    pub fn load_report(self) -> Result<(ImageDataset, FolderReport), ImageError> {
        let started = Instant::now();
        check_shape(self.shape)?;
        let (classes, files, ignored) = self.list()?;
        let threads = self
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
            .min(files.len())
            .max(1);
        let decoded = self.decode_all(&files, threads)?;

        let mut pixels = Vec::with_capacity(decoded.len() * self.shape.iter().product::<usize>());
        let (mut labels, mut skipped, mut resized) = (Vec::new(), Vec::new(), 0);
        for ((path, label), result) in files.into_iter().zip(decoded) {
            match result {
                Ok(image) => {
                    pixels.extend_from_slice(&image.pixels);
                    labels.push(label);
                    resized += usize::from(image.resized);
                }
                Err(reason) => skipped.push((path, reason)),
            }
        }
        let report = FolderReport {
            dir: self.dir.clone(),
            images: labels.len(),
            classes: classes.len(),
            resized,
            skipped,
            ignored,
            threads,
            seconds: started.elapsed().as_secs_f64(),
        };
        let dataset = ImageDataset::with_classes(pixels, labels, self.shape, classes)
            .expect("every decoded image has the shape's size and a label below the class count");
        Ok((dataset, report))
    }

    /// The classes, every image file with its label in order, and the count
    /// of other files.
    #[allow(clippy::type_complexity)]
    fn list(&self) -> Result<(Vec<String>, Vec<(PathBuf, usize)>, usize), ImageError> {
        let (folders, loose): (Vec<_>, Vec<_>) = entries(&self.dir)?
            .into_iter()
            .partition(|(_, is_dir)| *is_dir);
        let folders: Vec<(String, PathBuf)> = folders
            .into_iter()
            .filter_map(|(path, _)| Some((path.file_name()?.to_string_lossy().into_owned(), path)))
            .collect();
        let classes = match &self.classes {
            Some(classes) => classes.clone(),
            None if folders.is_empty() => {
                return Err(ImageError::NoClasses {
                    dir: self.dir.clone(),
                });
            }
            None => folders.iter().map(|(name, _)| name.clone()).collect(),
        };
        let (mut files, mut ignored) = (Vec::new(), loose.len());
        for (name, folder) in &folders {
            let Some(label) = classes.iter().position(|class| class == name) else {
                return Err(ImageError::UnknownClass {
                    dir: folder.clone(),
                    classes,
                });
            };
            let before = files.len();
            walk(folder, &mut |path| {
                if is_image(&path) {
                    files.push((path, label));
                } else {
                    ignored += 1;
                }
            })?;
            if files.len() == before && self.classes.is_none() {
                return Err(ImageError::EmptyClass {
                    dir: folder.clone(),
                });
            }
        }
        Ok((classes, files, ignored))
    }

    /// Decodes `files` on `threads` threads, in order: `Err` holds a skipped
    /// file's reason. Without `skip_unreadable`, the first failure in the
    /// files' order is the error, whichever thread met it first.
    fn decode_all(
        &self,
        files: &[(PathBuf, usize)],
        threads: usize,
    ) -> Result<Vec<Result<Decoded, String>>, ImageError> {
        let next = AtomicUsize::new(0);
        // The lowest index that failed, for skipping later files once one failed.
        let first_failure = AtomicUsize::new(usize::MAX);
        let results: Mutex<Vec<Option<Result<Decoded, ImageError>>>> =
            Mutex::new((0..files.len()).map(|_| None).collect());
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    loop {
                        let at = next.fetch_add(1, Ordering::Relaxed);
                        if at >= files.len() || at > first_failure.load(Ordering::Relaxed) {
                            break;
                        }
                        let path = &files[at].0;
                        // A decoder that panics on a hostile file must not take the
                        // loader down: its panic is that file's decoding error.
                        let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
                            decode(path, self.shape, self.resize)
                        }))
                        .unwrap_or_else(|_| {
                            Err(ImageError::Decode {
                                path: path.clone(),
                                reason: "the decoder panicked".to_owned(),
                            })
                        });
                        if result.is_err() && !self.skippable(&result) {
                            first_failure.fetch_min(at, Ordering::Relaxed);
                        }
                        if let Ok(mut results) = results.lock() {
                            results[at] = Some(result);
                        }
                    }
                });
            }
        });
        let results = results
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut decoded = Vec::with_capacity(results.len());
        for result in results {
            match result {
                Some(Ok(image)) => decoded.push(Ok(image)),
                Some(Err(ImageError::Decode { reason, .. })) if self.skip_unreadable => {
                    decoded.push(Err(reason))
                }
                Some(Err(error)) => return Err(error),
                // Not decoded: a file after the first failure, which comes first.
                None => unreachable!("files are decoded in order up to the first failure"),
            }
        }
        Ok(decoded)
    }

    /// Whether a failed decode is skipped rather than the error.
    fn skippable(&self, result: &Result<Decoded, ImageError>) -> bool {
        self.skip_unreadable && matches!(result, Err(ImageError::Decode { .. }))
    }
}

/// The entries of `dir` with whether each is a folder, sorted; hidden ones
/// (`.DS_Store`, `.git`) left out. Symbolic links to folders are not
/// followed, so that a link cycle cannot hang the walk.
pub(super) fn entries(dir: &Path) -> Result<Vec<(PathBuf, bool)>, ImageError> {
    let io = |source| ImageError::Io {
        path: dir.to_owned(),
        source,
    };
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let is_dir = entry.file_type().map_err(io)?.is_dir();
        entries.push((entry.path(), is_dir));
    }
    entries.sort();
    Ok(entries)
}

/// Calls `file` for every file below `dir`, depth first, in sorted order.
fn walk(dir: &Path, file: &mut impl FnMut(PathBuf)) -> Result<(), ImageError> {
    for (path, is_dir) in entries(dir)? {
        if is_dir {
            walk(&path, file)?;
        } else {
            file(path);
        }
    }
    Ok(())
}

/// Whether the extension says PNG or JPEG (case aside).
pub(super) fn is_image(path: &Path) -> bool {
    path.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| {
            ["png", "jpg", "jpeg"]
                .iter()
                .any(|known| extension.eq_ignore_ascii_case(known))
        })
}
