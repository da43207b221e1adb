//! Image datasets in the IDX format of MNIST (plain or gzip-compressed).
//!
//! The reader trusts nothing in a file: the header's counts are checked
//! against each other and against the bytes actually present, and it never
//! allocates more than the file holds, whatever a header declares.

use std::fs::File;
use std::io::{self, Read, Seek};
use std::path::{Path, PathBuf};

use super::ImageDataset;

/// An IDX file that could not be read, or pixels and labels that do not
/// make a dataset ([`ImageDataset::new`]).
#[derive(Debug)]
pub enum IdxError {
    /// The file could not be opened or read (missing, permissions, a
    /// corrupt gzip stream).
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system or the decompressor said.
        source: io::Error,
    },
    /// The bytes are not the IDX file expected.
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the numbers found.
        reason: String,
    },
    /// An image file and a label file that do not belong together.
    Mismatch {
        /// Number of images.
        images: usize,
        /// Number of labels.
        labels: usize,
    },
    /// A label with no class name.
    Label {
        /// The label.
        label: usize,
        /// Number of class names.
        classes: usize,
    },
}

impl std::fmt::Display for IdxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IdxError::Io { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            IdxError::Format { path, reason } => {
                write!(f, "{} is not a usable IDX file: {reason}", path.display())
            }
            IdxError::Mismatch { images, labels } => write!(
                f,
                "the image file holds {images} images but the label file {labels} labels"
            ),
            IdxError::Label { label, classes } => write!(
                f,
                "label {label} has no class name: there are {classes} names, for labels 0 to {}",
                classes.saturating_sub(1)
            ),
        }
    }
}

impl std::error::Error for IdxError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            IdxError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Unsigned bytes, the only IDX element type the image and label files use.
const UBYTE: u8 = 0x08;

/// The dimensions and the payload of one IDX file.
struct Idx {
    dims: Vec<usize>,
    data: Vec<u8>,
}

/// Reads an IDX file of unsigned bytes with `rank` dimensions; gzip is
/// recognised by its magic bytes, not by the file name.
fn read_idx(path: &Path, rank: usize) -> Result<Idx, IdxError> {
    let io_error = |source| IdxError::Io {
        path: path.to_owned(),
        source,
    };
    let format = |reason: String| IdxError::Format {
        path: path.to_owned(),
        reason,
    };
    let mut raw = File::open(path).map_err(io_error)?;
    let mut magic = [0u8; 2];
    let gzip = match raw.read_exact(&mut magic) {
        Ok(()) => magic == [0x1f, 0x8b],
        Err(_) => return Err(format("the file is shorter than an IDX header".into())),
    };
    let format = |reason: String| {
        format(if gzip {
            format!("{reason} (after gzip decompression)")
        } else {
            reason
        })
    };
    raw.rewind().map_err(io_error)?;
    let mut reader: Box<dyn Read> = if gzip {
        Box::new(flate2::read::GzDecoder::new(raw))
    } else {
        Box::new(raw)
    };

    let mut header = [0u8; 4];
    read_full(&mut reader, &mut header)
        .map_err(io_error)?
        .then_some(())
        .ok_or_else(|| format("the file is shorter than an IDX header".into()))?;
    if header[..2] != [0, 0] || header[2] != UBYTE {
        return Err(format(format!(
            "the magic number is {:#010x}; an IDX file of unsigned bytes starts with 0x000008xx",
            u32::from_be_bytes(header)
        )));
    }
    if usize::from(header[3]) != rank {
        return Err(format(format!(
            "it has {} dimensions, {rank} were expected ({})",
            header[3],
            if rank == 3 {
                "images: count, rows, columns"
            } else {
                "labels: count"
            }
        )));
    }
    let mut dims = Vec::with_capacity(rank);
    for _ in 0..rank {
        let mut word = [0u8; 4];
        read_full(&mut reader, &mut word)
            .map_err(io_error)?
            .then_some(())
            .ok_or_else(|| format("the header ends inside the dimensions".into()))?;
        dims.push(u32::from_be_bytes(word) as usize);
    }
    let declared = dims
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .ok_or_else(|| format(format!("the dimensions {dims:?} overflow")))?;

    // Read what is there, never more than declared and never allocating the
    // declared size up front: a hostile header cannot make us allocate.
    let mut data = Vec::new();
    reader
        // One byte more than declared tells a longer file; a declared 2^64 − 1
        // bytes cannot be exceeded, and must not overflow the limit.
        .take((declared as u64).saturating_add(1))
        .read_to_end(&mut data)
        .map_err(io_error)?;
    if data.len() != declared {
        return Err(format(format!(
            "the header declares {dims:?} = {declared} bytes of data, the file holds {}{}",
            data.len().min(declared),
            if data.len() > declared {
                " and more"
            } else {
                ""
            }
        )));
    }
    Ok(Idx { dims, data })
}

/// `read_exact` that reports a clean end of file as `false`.
fn read_full(reader: &mut impl Read, buffer: &mut [u8]) -> io::Result<bool> {
    match reader.read_exact(buffer) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => Ok(false),
        Err(error) => Err(error),
    }
}

impl ImageDataset {
    /// Reads an IDX image file (`[N, H, W]`, one channel) and its IDX label
    /// file; either may be gzip-compressed. The classes are named by their
    /// numbers.
    pub fn from_idx(
        images: impl AsRef<Path>,
        labels: impl AsRef<Path>,
    ) -> Result<ImageDataset, IdxError> {
        let images = read_idx(images.as_ref(), 3)?;
        let labels = read_idx(labels.as_ref(), 1)?;
        let [count, height, width] = [images.dims[0], images.dims[1], images.dims[2]];
        if count != labels.dims[0] {
            return Err(IdxError::Mismatch {
                images: count,
                labels: labels.dims[0],
            });
        }
        let labels = labels.data.into_iter().map(usize::from).collect();
        ImageDataset::new(images.data, labels, [1, height, width])
    }
}
