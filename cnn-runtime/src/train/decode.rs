//! One image file to the bytes a network takes: decoded (PNG or JPEG,
//! recognised by their first bytes), converted to the network's channels,
//! checked against its size or resized, and reordered to `[C, H, W]`.

use std::io::{self, Cursor, Read};
use std::path::{Path, PathBuf};

use image::imageops::{self, FilterType};
use image::{DynamicImage, ImageBuffer, ImageReader, Limits, Pixel};

/// The most one image may take: the file read, what the decoder allocates
/// (an 8,000 × 8,000 RGBA image fits; a header that claims more is refused
/// before any allocation), and the image as the network takes it.
pub(super) const MAX_BYTES: u64 = 256 << 20;

/// An image file, or a folder of them, that could not be read.
#[derive(Debug)]
pub enum ImageError {
    /// A file or folder could not be opened or read.
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// The file is not a PNG or JPEG image that decodes: corrupt,
    /// truncated, another format, or larger than the decoder may allocate.
    Decode {
        /// The file.
        path: PathBuf,
        /// What the decoder said.
        reason: String,
    },
    /// The image is not the size the network takes, and resizing is off.
    Size {
        /// The file.
        path: PathBuf,
        /// Its size, `[H, W]`.
        found: [usize; 2],
        /// The size wanted, `[H, W]`.
        expected: [usize; 2],
    },
    /// A shape no image has: not 1, 3 or 4 channels, or no pixel.
    Shape {
        /// The shape asked for, `[C, H, W]`.
        shape: [usize; 3],
    },
    /// The folder has no sub-folder to take a class from.
    NoClasses {
        /// The folder.
        dir: PathBuf,
    },
    /// A class folder holds no PNG or JPEG file.
    EmptyClass {
        /// The class folder.
        dir: PathBuf,
    },
    /// A sub-folder whose name is not one of the classes given.
    UnknownClass {
        /// The sub-folder.
        dir: PathBuf,
        /// The classes given.
        classes: Vec<String>,
    },
}

impl std::fmt::Display for ImageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImageError::Io { path, source } => {
                write!(f, "cannot read {}: {source}", path.display())
            }
            ImageError::Decode { path, reason } => write!(
                f,
                "{} is not a readable PNG or JPEG image: {reason} \
                 (`skip_unreadable()` skips such files and counts them)",
                path.display()
            ),
            ImageError::Size {
                path,
                found: [h, w],
                expected: [eh, ew],
            } => write!(
                f,
                "{} is {w}×{h} pixels (width × height) but the network takes {ew}×{eh}; \
                 `resize()` resizes every image to {ew}×{eh}",
                path.display()
            ),
            ImageError::Shape { shape } => write!(
                f,
                "images are read as 1 (gray), 3 (RGB) or 4 (RGBA) channels of at least \
                 1×1 and at most 256 MB of pixels; the shape {shape:?} cannot hold one"
            ),
            ImageError::NoClasses { dir } => write!(
                f,
                "{} has no sub-folders: put each class's images in a folder of its own, \
                 {}/<class>/*.png",
                dir.display(),
                dir.display()
            ),
            ImageError::EmptyClass { dir } => write!(
                f,
                "the class folder {} holds no .png, .jpg or .jpeg file",
                dir.display()
            ),
            ImageError::UnknownClass { dir, classes } => write!(
                f,
                "the folder {} is not one of the {} classes given ({})",
                dir.display(),
                classes.len(),
                classes.join(", ")
            ),
        }
    }
}

impl std::error::Error for ImageError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ImageError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// An image as a network takes it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Decoded {
    /// `[C, H, W]` bytes.
    pub(super) pixels: Vec<u8>,
    /// Whether it had another size and was resized.
    pub(super) resized: bool,
    /// Its size in the file, `[H, W]`.
    pub(super) found: [usize; 2],
}

/// Reads the PNG or JPEG file at `path` as the `[C, H, W]` bytes of `shape`:
/// converted to 1 (gray), 3 (RGB) or 4 (RGBA) channels as PIL converts,
/// and resized (bilinear, antialiased when shrinking) if `resize` is true
/// and its size is not `[H, W]`; otherwise another size is an error.
///
/// Gray from colour is PIL's `convert("L")`, ITU-R 601-2 luma
/// `(19595 R + 38470 G + 7471 B + 2¹⁵) >> 16`; colour from gray repeats the
/// channel; alpha is dropped, as PIL's `convert("RGB")` drops it.
///
/// ```no_run
/// # fn main() -> Result<(), cnn_runtime::train::ImageError> {
/// let pixels = cnn_runtime::train::read_image("seven.png", [1, 28, 28], true)?;
/// assert_eq!(pixels.len(), 28 * 28);
/// # Ok(()) }
/// ```
pub fn read_image(
    path: impl AsRef<Path>,
    shape: [usize; 3],
    resize: bool,
) -> Result<Vec<u8>, ImageError> {
    decode(path.as_ref(), shape, resize).map(|decoded| decoded.pixels)
}

/// [`read_image`], also saying whether the image was resized.
pub(super) fn decode(path: &Path, shape: [usize; 3], resize: bool) -> Result<Decoded, ImageError> {
    check_shape(shape)?;
    let [channels, height, width] = shape;
    let io = |source| ImageError::Io {
        path: path.to_owned(),
        source,
    };
    let failed = |reason: String| ImageError::Decode {
        path: path.to_owned(),
        reason,
    };
    // Never more than the limit, whatever the file's size.
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_BYTES + 1).read_to_end(&mut bytes))
        .map_err(io)?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(failed("the file is larger than 256 MB".to_owned()));
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| failed(e.to_string()))?;
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_BYTES);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| failed(e.to_string()))?;

    let found = [image.height() as usize, image.width() as usize];
    let resized = found != [height, width];
    if resized && !resize {
        return Err(ImageError::Size {
            path: path.to_owned(),
            found,
            expected: [height, width],
        });
    }
    // check_shape made sure that both fit.
    let (w, h) = (width as u32, height as u32);
    let pixels = match channels {
        1 => planar(fit(gray(&image), w, h)),
        3 => planar(fit(image.to_rgb8(), w, h)),
        _ => planar(fit(image.to_rgba8(), w, h)),
    };
    Ok(Decoded {
        pixels,
        resized,
        found,
    })
}

/// Whether images can have `shape`: 1, 3 or 4 channels, at least one
/// pixel, and at most [`MAX_BYTES`] in all (so every side fits a `u32`).
pub(super) fn check_shape(shape: [usize; 3]) -> Result<(), ImageError> {
    let [channels, height, width] = shape;
    let bytes = shape
        .iter()
        .try_fold(1u64, |n, &d| n.checked_mul(u64::try_from(d).ok()?));
    if matches!(channels, 1 | 3 | 4)
        && height > 0
        && width > 0
        && bytes.is_some_and(|bytes| bytes <= MAX_BYTES)
    {
        Ok(())
    } else {
        Err(ImageError::Shape { shape })
    }
}

/// One channel, as PIL's `convert("L")` computes it from colour.
fn gray(image: &DynamicImage) -> ImageBuffer<image::Luma<u8>, Vec<u8>> {
    if !image.color().has_color() {
        return image.to_luma8();
    }
    let rgb = image.to_rgb8();
    ImageBuffer::from_fn(rgb.width(), rgb.height(), |x, y| {
        let [r, g, b] = rgb.get_pixel(x, y).0.map(u32::from);
        // The sum is at most 65,536 · 255 + 2¹⁵ < 2²⁴: it fits, and so does
        // the shifted byte.
        image::Luma([((19_595 * r + 38_470 * g + 7_471 * b + 0x8000) >> 16) as u8])
    })
}

/// The image at `width × height`, resized with a triangle (bilinear)
/// filter if it has another size.
fn fit<P>(image: ImageBuffer<P, Vec<u8>>, width: u32, height: u32) -> ImageBuffer<P, Vec<u8>>
where
    P: Pixel<Subpixel = u8> + 'static,
{
    if image.dimensions() == (width, height) {
        image
    } else {
        imageops::resize(&image, width, height, FilterType::Triangle)
    }
}

/// Interleaved `[H, W, C]` to planar `[C, H, W]`.
fn planar<P: Pixel<Subpixel = u8>>(image: ImageBuffer<P, Vec<u8>>) -> Vec<u8> {
    let channels = usize::from(P::CHANNEL_COUNT);
    let interleaved = image.into_raw();
    let plane = interleaved.len() / channels;
    let mut pixels = vec![0; interleaved.len()];
    for (at, pixel) in interleaved.chunks_exact(channels).enumerate() {
        for (channel, &value) in pixel.iter().enumerate() {
            pixels[channel * plane + at] = value;
        }
    }
    pixels
}
