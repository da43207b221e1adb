//! ONNX's `TensorProto`: the values of a weight or a constant, in the file
//! (raw bytes or typed fields) or in a file beside it, widened to `f32` or
//! `i64`. Every count is checked against the bytes that hold it before
//! anything is allocated.

use crate::error::Error;
use crate::onnx::{Data, External, Model, Tensor, string_pair};
use crate::proto::Reader;

/// ONNX's element types that an importer of CNNs reads.
const FLOAT: i64 = 1;
const DOUBLE: i64 = 11;
const FLOAT16: i64 = 10;
const INTS: [i64; 7] = [2, 3, 4, 5, 6, 7, 9]; // u8 i8 u16 i16 i32 i64 bool

pub(crate) fn parse_tensor(bytes: &[u8]) -> Result<Tensor, Error> {
    let mut tensor = Tensor::default();
    let mut dims = Vec::new();
    let mut kind = 0;
    let (mut floats, mut ints, mut raw) = (Vec::new(), Vec::new(), None);
    let mut external: Option<External> = None;
    let mut external_flag = false;
    let mut r = Reader::new(bytes);
    while let Some((field, v)) = r.next_field()? {
        match field {
            1 => v.push_ints(&mut dims, "tensor dims")?,
            2 => kind = v.int("tensor data_type")?,
            4 => v.push_floats(&mut floats, "float_data")?,
            5 | 7 => v.push_ints(&mut ints, "int_data")?,
            10 => v.push_doubles(&mut floats, "double_data")?,
            8 => tensor.name = v.string("tensor name")?,
            9 => raw = Some(v.bytes("raw_data")?),
            13 => {
                let (key, value) = string_pair(v.bytes("external_data")?)?;
                let e = external.get_or_insert_with(External::default);
                let number = || {
                    value.parse::<u64>().map_err(|_| {
                        Error::malformed(format!("external_data `{key}` is `{value}`"))
                    })
                };
                match key.as_str() {
                    "location" => e.location = value.clone(),
                    "offset" => e.offset = number()?,
                    "length" => e.length = Some(number()?),
                    _ => {}
                }
            }
            14 => external_flag |= v.int("data_location")? == 1,
            _ => {}
        }
    }
    let name = &tensor.name;
    if external_flag && external.is_none() {
        return Err(Error::malformed(format!(
            "tensor `{name}` is external but names no file"
        )));
    }
    let mut count = 1usize;
    for &d in &dims {
        let d = usize::try_from(d).map_err(|_| {
            Error::malformed(format!("tensor `{name}` has a negative dimension {d}"))
        })?;
        count = count
            .checked_mul(d)
            .ok_or_else(|| Error::malformed(format!("tensor `{name}`'s dimensions overflow")))?;
        tensor.dims.push(d);
    }
    if let Some(mut e) = external {
        e.kind = kind;
        tensor.data = if INTS.contains(&kind) {
            Data::Int(Vec::new().into())
        } else {
            Data::Float(Vec::new().into())
        };
        tensor.external = Some(e);
        return Ok(tensor);
    }
    tensor.data = decode(kind, raw, &floats, &ints, count, name)?;
    Ok(tensor)
}

fn decode(
    kind: i64,
    raw: Option<&[u8]>,
    floats: &[f32],
    ints: &[i64],
    count: usize,
    name: &str,
) -> Result<Data, Error> {
    let data = match (kind, raw) {
        (FLOAT, Some(raw)) => Data::Float(
            raw_values(raw, count, 4, name, |c| {
                f32::from_le_bytes([c[0], c[1], c[2], c[3]])
            })?
            .into(),
        ),
        (DOUBLE, Some(raw)) => Data::Float(
            raw_values(raw, count, 8, name, |c| {
                let mut b = [0; 8];
                b.copy_from_slice(c);
                f64::from_le_bytes(b) as f32
            })?
            .into(),
        ),
        (FLOAT16, Some(raw)) => Data::Float(
            raw_values(raw, count, 2, name, |c| {
                half_to_f32(u16::from_le_bytes([c[0], c[1]]))
            })?
            .into(),
        ),
        (FLOAT16, None) => Data::Float(ints.iter().map(|&b| half_to_f32(b as u16)).collect()),
        (FLOAT | DOUBLE, None) => Data::Float(floats.to_vec().into()),
        (k, Some(raw)) if INTS.contains(&k) => {
            let width = match k {
                2 | 3 | 9 => 1,
                4 | 5 => 2,
                6 => 4,
                _ => 8,
            };
            Data::Int(
                raw_values(raw, count, width, name, |c| match (k, width) {
                    (2 | 9, _) => i64::from(c[0]),
                    (3, _) => i64::from(c[0] as i8),
                    (4, _) => i64::from(u16::from_le_bytes([c[0], c[1]])),
                    (5, _) => i64::from(i16::from_le_bytes([c[0], c[1]])),
                    (6, _) => i64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]])),
                    _ => {
                        let mut b = [0; 8];
                        b.copy_from_slice(c);
                        i64::from_le_bytes(b)
                    }
                })?
                .into(),
            )
        }
        (k, None) if INTS.contains(&k) => Data::Int(ints.to_vec().into()),
        (k, _) => {
            return Err(Error::malformed(format!(
                "tensor `{name}` has element type {k}, which a CNN importer does not read"
            )));
        }
    };
    let len = match &data {
        Data::Float(v) => v.len(),
        Data::Int(v) => v.len(),
    };
    if len != count {
        return Err(Error::malformed(format!(
            "tensor `{name}` has {len} values where its dimensions hold {count}"
        )));
    }
    Ok(data)
}

/// Reads the values of every tensor kept outside the model file, from the
/// files beside it in `dir`. A file is read only as far as the tensors it
/// holds, and only after its size is known to hold them.
pub fn load_external(model: &mut Model, dir: &std::path::Path) -> Result<(), Error> {
    use std::io::{Read, Seek, SeekFrom};
    for t in &mut model.graph.initializers {
        let Some(e) = t.external.take() else { continue };
        let name = &t.name;
        let location = std::path::Path::new(&e.location);
        if location.is_absolute()
            || location
                .components()
                .any(|c| matches!(c, std::path::Component::ParentDir))
        {
            return Err(Error::malformed(format!(
                "tensor `{name}` names the file `{}`, outside the model's directory",
                e.location
            )));
        }
        let path = dir.join(location);
        let cannot =
            |why: String| Error::malformed(format!("tensor `{name}`: `{}` {why}", path.display()));
        let mut file =
            std::fs::File::open(&path).map_err(|err| cannot(format!("cannot be read: {err}")))?;
        let size = file
            .metadata()
            .map_err(|err| cannot(format!("cannot be read: {err}")))?
            .len();
        let width: u64 = match e.kind {
            2 | 3 | 9 => 1,
            4 | 5 | FLOAT16 => 2,
            6 | FLOAT => 4,
            _ => 8,
        };
        let count: u64 = t
            .dims
            .iter()
            .try_fold(1u64, |a, &d| a.checked_mul(d as u64))
            .unwrap_or(u64::MAX);
        let want = e.length.unwrap_or_else(|| size.saturating_sub(e.offset));
        if count.checked_mul(width) != Some(want)
            || e.offset.checked_add(want).is_none_or(|end| end > size)
        {
            return Err(cannot(format!(
                "holds {size} bytes; the tensor wants {want} from offset {} for {count} values",
                e.offset
            )));
        }
        let mut raw = vec![0u8; want as usize];
        file.seek(SeekFrom::Start(e.offset))
            .and_then(|_| file.read_exact(&mut raw))
            .map_err(|err| cannot(format!("cannot be read: {err}")))?;
        t.data = decode(e.kind, Some(&raw), &[], &[], count as usize, name)?;
    }
    Ok(())
}

fn raw_values<T>(
    raw: &[u8],
    count: usize,
    width: usize,
    name: &str,
    read: impl Fn(&[u8]) -> T,
) -> Result<Vec<T>, Error> {
    if count.checked_mul(width) != Some(raw.len()) {
        return Err(Error::malformed(format!(
            "tensor `{name}` has {} bytes of data for {count} values of {width} bytes",
            raw.len()
        )));
    }
    Ok(raw.chunks_exact(width).map(read).collect())
}

fn half_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exp = u32::from((h >> 10) & 0x1f);
    let mant = u32::from(h & 0x3ff);
    let bits = match (exp, mant) {
        (0, 0) => sign,
        (0, _) => {
            // Subnormal: mant · 2^-24, exact in f32.
            let magnitude = mant as f32 * (-24f32).exp2();
            return if sign != 0 { -magnitude } else { magnitude };
        }
        (31, 0) => sign | 0x7f80_0000,
        (31, _) => sign | 0x7fc0_0000,
        _ => sign | ((exp + 112) << 23) | (mant << 13),
    };
    f32::from_bits(bits)
}
