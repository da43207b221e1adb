//! Image/mask pairs from the two layouts in use: `images/` beside `masks/`,
//! and Pascal VOC's `JPEGImages/` beside `SegmentationClass/`.

use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{MaskDataset, MaskError};
use crate::train::ImageError;
use crate::train::decode::{MAX_BYTES, check_shape, decode};
use crate::train::folder::{entries, is_image};

/// Pascal VOC's 21 classes, in the order of their mask values.
pub const VOC_CLASSES: [&str; 21] = [
    "background",
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "diningtable",
    "dog",
    "horse",
    "motorbike",
    "person",
    "pottedplant",
    "sheep",
    "sofa",
    "train",
    "tvmonitor",
];

/// Reads image/mask pairs into a [`MaskDataset`]. Two layouts:
///
/// ```text
/// data/images/0001.png   data/masks/0001.png      (any image/mask folder)
/// data/images/0002.jpg   data/masks/0002.png
/// data/classes.txt                                 (optional: one name per line)
///
/// VOC2012/JPEGImages/2007_000032.jpg               (Pascal VOC)
/// VOC2012/SegmentationClass/2007_000032.png
/// VOC2012/ImageSets/Segmentation/train.txt         (with `image_set("train")`)
/// ```
///
/// A mask is a PNG of class indices: 8-bit (or 1/2/4-bit) grayscale, or a
/// palette PNG whose indices are the classes (VOC's); 255 means "no class"
/// ([`IGNORE`](super::IGNORE)). An RGB mask or a JPEG (lossy) is refused.
/// Classes are named by `classes.txt`, else VOC's 21 names in the VOC
/// layout, else `class 0`, `class 1`, … up to the largest value found. An
/// image and its mask must have the same size (else an error naming both
/// files); with [`resize`](Self::resize) both are resized to the network's
/// `H × W` (the image bilinear, the mask nearest), without it another size
/// is an error. Files are decoded on every core.
///
/// ```no_run
/// # fn main() -> Result<(), cnn_runtime::train::MaskError> {
/// use cnn_runtime::train::MaskFolder;
///
/// let all = MaskFolder::new("data", [3, 64, 64]).resize().load()?;
/// let (train, valid) = all.split(0.2, 42);
/// let voc = MaskFolder::new("VOC2012", [3, 256, 256]).resize().image_set("val").load()?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a MaskFolder reads nothing until `load`"]
pub struct MaskFolder {
    dir: PathBuf,
    shape: [usize; 3],
    resize: bool,
    classes: Option<Vec<String>>,
    image_set: Option<String>,
    threads: Option<usize>,
}

/// One pair's files.
struct Pair {
    name: String,
    image: PathBuf,
    mask: PathBuf,
}

impl MaskFolder {
    /// A reader of the pairs below `dir` for images of `shape` (`[C, H, W]`).
    pub fn new(dir: impl AsRef<Path>, shape: [usize; 3]) -> MaskFolder {
        MaskFolder {
            dir: dir.as_ref().to_owned(),
            shape,
            resize: false,
            classes: None,
            image_set: None,
            threads: None,
        }
    }

    /// Resizes pairs of another size to the shape's `H × W`: the image
    /// bilinear, the mask nearest (a class stays a class).
    pub fn resize(self) -> MaskFolder {
        MaskFolder {
            resize: true,
            ..self
        }
    }

    /// Names the classes (mask value `i` is `names[i]`), over `classes.txt`.
    pub fn classes<S: AsRef<str>>(self, names: &[S]) -> MaskFolder {
        let names = names.iter().map(|n| n.as_ref().to_owned()).collect();
        MaskFolder {
            classes: Some(names),
            ..self
        }
    }

    /// In the VOC layout, reads the images listed in
    /// `ImageSets/Segmentation/<set>.txt` (`train`, `val`, `trainval`)
    /// instead of every mask.
    pub fn image_set(self, set: &str) -> MaskFolder {
        MaskFolder {
            image_set: Some(set.to_owned()),
            ..self
        }
    }

    /// Decodes on `threads` threads (default: every core).
    pub fn threads(self, threads: usize) -> MaskFolder {
        MaskFolder {
            threads: Some(threads.max(1)),
            ..self
        }
    }

    /// Reads every pair.
    pub fn load(self) -> Result<MaskDataset, MaskError> {
        check_shape(self.shape)?;
        let voc =
            self.dir.join("JPEGImages").is_dir() && self.dir.join("SegmentationClass").is_dir();
        let pairs = if voc {
            self.voc_pairs()?
        } else {
            self.folder_pairs()?
        };
        if pairs.is_empty() {
            return Err(MaskError::Empty {
                dir: self.dir.clone(),
            });
        }
        let threads = self
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
            .min(pairs.len());
        let decoded = parallel(&pairs, threads, |pair| self.read_pair(pair))?;
        let mut pixels = Vec::with_capacity(decoded.len() * self.shape.iter().product::<usize>());
        let mut masks = Vec::with_capacity(decoded.len() * self.shape[1] * self.shape[2]);
        for (image, mask) in decoded {
            pixels.extend_from_slice(&image);
            masks.extend_from_slice(&mask);
        }
        let classes = match self.classes.clone() {
            Some(classes) => classes,
            None => self.class_names(voc, &masks)?,
        };
        let names = pairs.into_iter().map(|pair| pair.name).collect();
        MaskDataset::named(pixels, masks, self.shape, classes, names)
    }

    /// `images/NAME.{png,jpg,jpeg}` with `masks/NAME.png`.
    fn folder_pairs(&self) -> Result<Vec<Pair>, MaskError> {
        let (images, masks) = (self.dir.join("images"), self.dir.join("masks"));
        if !images.is_dir() || !masks.is_dir() {
            return Err(MaskError::Layout {
                dir: self.dir.clone(),
            });
        }
        let mut pairs = Vec::new();
        for (image, is_dir) in entries(&images)? {
            if is_dir || !is_image(&image) {
                continue;
            }
            let name = stem(&image);
            let mask = masks.join(format!("{name}.png"));
            if !mask.is_file() {
                return Err(MaskError::MissingMask { image, mask });
            }
            pairs.push(Pair { name, image, mask });
        }
        Ok(pairs)
    }

    /// VOC: the names of `ImageSets/Segmentation/<set>.txt`, or of every
    /// mask in `SegmentationClass/`.
    fn voc_pairs(&self) -> Result<Vec<Pair>, MaskError> {
        let names: Vec<String> = match &self.image_set {
            Some(set) => {
                let list = self
                    .dir
                    .join("ImageSets/Segmentation")
                    .join(format!("{set}.txt"));
                let text = std::fs::read_to_string(&list).map_err(|source| ImageError::Io {
                    path: list.clone(),
                    source,
                })?;
                text.split_whitespace().map(str::to_owned).collect()
            }
            None => entries(&self.dir.join("SegmentationClass"))?
                .into_iter()
                .filter(|(path, is_dir)| !is_dir && is_image(path))
                .map(|(path, _)| stem(&path))
                .collect(),
        };
        let mut pairs = Vec::with_capacity(names.len());
        for name in names {
            let mask = self
                .dir
                .join("SegmentationClass")
                .join(format!("{name}.png"));
            let image = self.dir.join("JPEGImages").join(format!("{name}.jpg"));
            if !image.is_file() {
                return Err(MaskError::MissingImage { mask, image });
            }
            if !mask.is_file() {
                return Err(MaskError::MissingMask { image, mask });
            }
            pairs.push(Pair { name, image, mask });
        }
        Ok(pairs)
    }

    /// The image's `[C, H, W]` bytes and the mask's `[H, W]` classes, both at
    /// the shape's size.
    fn read_pair(&self, pair: &Pair) -> Result<(Vec<u8>, Vec<u8>), MaskError> {
        let [_, height, width] = self.shape;
        let (mask, mask_size) = read_mask(&pair.mask)?;
        let image = decode(&pair.image, self.shape, true)?;
        if image.found != mask_size {
            return Err(MaskError::Mismatch {
                image: pair.image.clone(),
                image_size: image.found,
                mask: pair.mask.clone(),
                mask_size,
            });
        }
        if image.found != [height, width] && !self.resize {
            return Err(ImageError::Size {
                path: pair.image.clone(),
                found: image.found,
                expected: [height, width],
            }
            .into());
        }
        Ok((image.pixels, nearest(&mask, mask_size, [height, width])))
    }

    /// `classes.txt`, VOC's names, or numbers up to the largest value.
    fn class_names(&self, voc: bool, masks: &[u8]) -> Result<Vec<String>, MaskError> {
        let file = self.dir.join("classes.txt");
        if file.is_file() {
            let text = std::fs::read_to_string(&file).map_err(|source| ImageError::Io {
                path: file.clone(),
                source,
            })?;
            return Ok(text
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .map(str::to_owned)
                .collect());
        }
        if voc {
            return Ok(VOC_CLASSES.iter().map(|&c| c.to_owned()).collect());
        }
        let top = masks.iter().filter(|&&m| m != super::IGNORE).max();
        Ok((0..top.map_or(0, |&t| usize::from(t) + 1))
            .map(|c| format!("class {c}"))
            .collect())
    }
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Reads a mask PNG's class indices, `[H, W]`, and its size.
pub(super) fn read_mask(path: &Path) -> Result<(Vec<u8>, [usize; 2]), MaskError> {
    let format = |reason: String| MaskError::Format {
        path: path.to_owned(),
        reason,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|source| ImageError::Io {
            path: path.to_owned(),
            source,
        })?;
    if !bytes.starts_with(b"\x89PNG") {
        return Err(format(
            "not a PNG file (masks must be lossless: a grayscale or palette PNG)".to_owned(),
        ));
    }
    let mut decoder = png::Decoder::new_with_limits(
        Cursor::new(bytes),
        png::Limits {
            bytes: MAX_BYTES as usize,
        },
    );
    decoder.set_transformations(png::Transformations::IDENTITY);
    let mut reader = decoder.read_info().map_err(|e| format(e.to_string()))?;
    let (color, depth) = (reader.info().color_type, reader.info().bit_depth);
    let (width, height) = (reader.info().width as usize, reader.info().height as usize);
    let bits = match (color, depth) {
        (png::ColorType::Grayscale | png::ColorType::Indexed, png::BitDepth::Sixteen) => {
            return Err(format(
                "a 16-bit mask: save class indices as 8-bit grayscale".to_owned(),
            ));
        }
        (png::ColorType::Grayscale | png::ColorType::Indexed, depth) => depth as usize,
        (other, _) => {
            return Err(format(format!(
                "a {other:?} PNG: a mask holds one class index per pixel, as 8-bit \
                 grayscale or a palette PNG"
            )));
        }
    };
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| format("the image is too large".to_owned()))?;
    let mut buffer = vec![0; size];
    let frame = reader
        .next_frame(&mut buffer)
        .map_err(|e| format(e.to_string()))?;
    let mut mask = Vec::with_capacity(width * height);
    for row in buffer.chunks(frame.line_size).take(height) {
        for x in 0..width {
            let bit = x * bits;
            let byte = row.get(bit / 8).copied().unwrap_or(0);
            // The value's `bits` bits, most significant first in the byte.
            let shift = 8 - bits - bit % 8;
            mask.push((byte >> shift) & ((1u16 << bits) - 1) as u8);
        }
    }
    Ok((mask, [height, width]))
}

/// The mask resized to `to` as PyTorch's `nearest` does, with the taps of
/// `cnn_shape::taps` (the rule `upsample` uses).
pub(super) fn nearest(mask: &[u8], [h, w]: [usize; 2], [th, tw]: [usize; 2]) -> Vec<u8> {
    if [h, w] == [th, tw] {
        return mask.to_vec();
    }
    let rows = cnn_shape::taps::taps(h, th, None, false, false).first;
    let columns = cnn_shape::taps::taps(w, tw, None, false, false).first;
    let mut out = Vec::with_capacity(th * tw);
    for &y in &rows {
        for &x in &columns {
            out.push(mask[y as usize * w + x as usize]);
        }
    }
    out
}

/// `read` of every pair on `threads` threads, in order; the first error in
/// the pairs' order is the error. A panic in a decoder is that pair's error.
fn parallel<R: Send>(
    items: &[Pair],
    threads: usize,
    read: impl Fn(&Pair) -> Result<R, MaskError> + Sync,
) -> Result<Vec<R>, MaskError> {
    let next = AtomicUsize::new(0);
    let failed = AtomicUsize::new(usize::MAX);
    let results: Mutex<Vec<Option<Result<R, MaskError>>>> =
        Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| {
                loop {
                    let at = next.fetch_add(1, Ordering::Relaxed);
                    if at >= items.len() || at > failed.load(Ordering::Relaxed) {
                        break;
                    }
                    let result =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read(&items[at])))
                            .unwrap_or_else(|_| {
                                Err(MaskError::Format {
                                    path: items[at].mask.clone(),
                                    reason: "the decoder panicked on this pair".to_owned(),
                                })
                            });
                    if result.is_err() {
                        failed.fetch_min(at, Ordering::Relaxed);
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
    let mut out = Vec::with_capacity(results.len());
    for result in results {
        match result {
            Some(result) => out.push(result?),
            None => unreachable!("items are read in order up to the first failure"),
        }
    }
    Ok(out)
}
