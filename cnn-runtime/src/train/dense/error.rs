//! Why a set of image/mask pairs cannot be read.

use std::path::PathBuf;

use crate::train::ImageError;

/// Image/mask pairs that could not be read: each variant names the files.
#[derive(Debug)]
pub enum MaskError {
    /// An image could not be read (see [`ImageError`]).
    Image(ImageError),
    /// A mask is not a PNG of class indices.
    Format {
        /// The mask.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// An image and its mask have different sizes.
    Mismatch {
        /// The image.
        image: PathBuf,
        /// Its size, `[H, W]`.
        image_size: [usize; 2],
        /// The mask.
        mask: PathBuf,
        /// Its size, `[H, W]`.
        mask_size: [usize; 2],
    },
    /// An image has no mask.
    MissingMask {
        /// The image.
        image: PathBuf,
        /// Where its mask was looked for.
        mask: PathBuf,
    },
    /// A listed mask has no image (VOC layout).
    MissingImage {
        /// The mask.
        mask: PathBuf,
        /// Where its image was looked for.
        image: PathBuf,
    },
    /// The folder has neither `images/` and `masks/` nor VOC's
    /// `JPEGImages/` and `SegmentationClass/`.
    Layout {
        /// The folder.
        dir: PathBuf,
    },
    /// The folder holds no pair.
    Empty {
        /// The folder.
        dir: PathBuf,
    },
    /// Pixels and masks whose lengths do not make whole images of `shape`.
    Lengths {
        /// The images' `[C, H, W]`.
        shape: [usize; 3],
        /// Bytes of pixels given.
        pixels: usize,
        /// Bytes of masks given.
        masks: usize,
    },
    /// A mask value that is neither a class nor 255 (no class).
    Class {
        /// The image (its name).
        image: String,
        /// The value.
        value: u8,
        /// How many classes there are.
        classes: usize,
    },
}

impl std::fmt::Display for MaskError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let size = |[h, w]: [usize; 2]| format!("{w}×{h}");
        match self {
            MaskError::Image(error) => error.fmt(f),
            MaskError::Format { path, reason } => {
                write!(f, "{} is not a readable mask: {reason}", path.display())
            }
            MaskError::Mismatch {
                image,
                image_size,
                mask,
                mask_size,
            } => write!(
                f,
                "{} is {} pixels (width × height) but its mask {} is {}: a mask gives the \
                 class of each pixel of its image",
                image.display(),
                size(*image_size),
                mask.display(),
                size(*mask_size)
            ),
            MaskError::MissingMask { image, mask } => write!(
                f,
                "{} has no mask: {} does not exist",
                image.display(),
                mask.display()
            ),
            MaskError::MissingImage { mask, image } => write!(
                f,
                "{} has no image: {} does not exist",
                mask.display(),
                image.display()
            ),
            MaskError::Layout { dir } => write!(
                f,
                "{} has neither images/ and masks/ nor Pascal VOC's JPEGImages/ and \
                 SegmentationClass/: put each image in images/NAME.png and its mask in \
                 masks/NAME.png",
                dir.display()
            ),
            MaskError::Empty { dir } => write!(f, "{} holds no image with a mask", dir.display()),
            MaskError::Lengths {
                shape,
                pixels,
                masks,
            } => write!(
                f,
                "{pixels} bytes of pixels and {masks} of masks are not whole {shape:?} images \
                 with an [H, W] mask each"
            ),
            MaskError::Class {
                image,
                value,
                classes,
            } => write!(
                f,
                "the mask of image {image} holds the value {value}, but there are {classes} \
                 classes (values 0 to {}, and 255 for no class)",
                classes.saturating_sub(1)
            ),
        }
    }
}

impl std::error::Error for MaskError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MaskError::Image(error) => Some(error),
            _ => None,
        }
    }
}

impl From<ImageError> for MaskError {
    fn from(error: ImageError) -> MaskError {
        MaskError::Image(error)
    }
}
