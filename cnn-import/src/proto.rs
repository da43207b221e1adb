//! Protocol buffers' wire format, read without trusting it: every length is
//! checked against the bytes that are there, nothing is allocated from what a
//! header claims, and a malformed message is an [`Error`], never a panic.
//!
//! Only what ONNX uses: varints, 32- and 64-bit fixed fields, and
//! length-delimited fields (strings, bytes, sub-messages, packed arrays).

use crate::error::Error;

/// One field's value as it appears on the wire.
#[derive(Debug, Clone, Copy)]
pub enum Value<'a> {
    /// Wire type 0: an integer of any width.
    Varint(u64),
    /// Wire type 1: a `double` or a fixed 64-bit integer.
    Fixed64(u64),
    /// Wire type 2: a string, bytes, a sub-message or a packed array.
    Bytes(&'a [u8]),
    /// Wire type 5: a `float` or a fixed 32-bit integer.
    Fixed32(u32),
}

/// A cursor over one message's bytes.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Reads the message in `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    fn varint(&mut self) -> Result<u64, Error> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let Some(&byte) = self.buf.get(self.pos) else {
                return Err(Error::malformed(
                    "a varint runs past the end of its message",
                ));
            };
            self.pos += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(Error::malformed("a varint is longer than 10 bytes"))
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], Error> {
        let end = self
            .pos
            .checked_add(len)
            .filter(|&end| end <= self.buf.len())
            .ok_or_else(|| Error::malformed("a field runs past the end of its message"))?;
        let bytes = &self.buf[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    /// The next field's number and value, or `None` at the end.
    pub fn next_field(&mut self) -> Result<Option<(u64, Value<'a>)>, Error> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let field = key >> 3;
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            1 => Value::Fixed64(u64::from_le_bytes(fixed(self.take(8)?))),
            2 => {
                let len = usize::try_from(self.varint()?)
                    .map_err(|_| Error::malformed("a length does not fit in memory"))?;
                Value::Bytes(self.take(len)?)
            }
            5 => Value::Fixed32(u32::from_le_bytes(fixed(self.take(4)?))),
            wire => {
                return Err(Error::malformed(format!(
                    "wire type {wire} (groups or unknown) in field {field}"
                )));
            }
        };
        Ok(Some((field, value)))
    }
}

fn fixed<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0; N];
    out.copy_from_slice(&bytes[..N]);
    out
}

impl<'a> Value<'a> {
    /// The value as a length-delimited field.
    pub fn bytes(self, what: &str) -> Result<&'a [u8], Error> {
        match self {
            Value::Bytes(bytes) => Ok(bytes),
            _ => Err(Error::malformed(format!("{what} is not length-delimited"))),
        }
    }

    /// The value as UTF-8 text.
    pub fn string(self, what: &str) -> Result<String, Error> {
        let bytes = self.bytes(what)?;
        String::from_utf8(bytes.to_vec())
            .map_err(|_| Error::malformed(format!("{what} is not UTF-8")))
    }

    /// The value as a signed integer (`int64` and `int32` are both varints).
    pub fn int(self, what: &str) -> Result<i64, Error> {
        match self {
            // Two's complement: a negative int64 is written as its u64 bits.
            Value::Varint(v) => Ok(v as i64),
            _ => Err(Error::malformed(format!("{what} is not an integer"))),
        }
    }

    /// The value as a `float`.
    pub fn float(self, what: &str) -> Result<f32, Error> {
        match self {
            Value::Fixed32(bits) => Ok(f32::from_bits(bits)),
            _ => Err(Error::malformed(format!("{what} is not a float"))),
        }
    }

    /// Appends a repeated integer field, packed or not.
    pub fn push_ints(self, out: &mut Vec<i64>, what: &str) -> Result<(), Error> {
        match self {
            Value::Bytes(bytes) => {
                let mut packed = Reader::new(bytes);
                while packed.pos < bytes.len() {
                    out.push(packed.varint()? as i64);
                }
                Ok(())
            }
            other => {
                out.push(other.int(what)?);
                Ok(())
            }
        }
    }

    /// Appends a repeated `float` field, packed or not.
    pub fn push_floats(self, out: &mut Vec<f32>, what: &str) -> Result<(), Error> {
        match self {
            Value::Bytes(bytes) => {
                if bytes.len() % 4 != 0 {
                    return Err(Error::malformed(format!(
                        "{what}: packed floats of {} bytes",
                        bytes.len()
                    )));
                }
                out.extend(bytes.chunks_exact(4).map(|c| f32::from_le_bytes(fixed(c))));
                Ok(())
            }
            other => {
                out.push(other.float(what)?);
                Ok(())
            }
        }
    }

    /// Appends a repeated `double` field, packed or not, as `f32`.
    pub fn push_doubles(self, out: &mut Vec<f32>, what: &str) -> Result<(), Error> {
        match self {
            Value::Bytes(bytes) => {
                if bytes.len() % 8 != 0 {
                    return Err(Error::malformed(format!(
                        "{what}: packed doubles of {} bytes",
                        bytes.len()
                    )));
                }
                out.extend(
                    bytes
                        .chunks_exact(8)
                        .map(|c| f64::from_le_bytes(fixed(c)) as f32),
                );
                Ok(())
            }
            Value::Fixed64(bits) => {
                out.push(f64::from_bits(bits) as f32);
                Ok(())
            }
            _ => Err(Error::malformed(format!("{what} is not a double"))),
        }
    }
}
