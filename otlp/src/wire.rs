//! Protobuf's wire format, read without a schema compiler: fields of a message one by one,
//! every length checked against what is left (a truncated or hostile body is an error, never
//! a panic or an allocation it asks for).

use crate::DecodeError;

/// A field's value as the wire carries it.
pub enum Value<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32(u32),
}

pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

/// Messages nest at most this deep (AnyValue in AnyValue…): a body cannot blow the stack.
pub const MAX_DEPTH: usize = 32;

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0 }
    }

    fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut out = 0u64;
        for shift in (0..64).step_by(7) {
            let Some(&b) = self.buf.get(self.pos) else {
                return Err(DecodeError::Truncated);
            };
            self.pos += 1;
            out |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(out);
            }
        }
        Err(DecodeError::Malformed("a varint longer than 10 bytes".into()))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.buf.len()).ok_or(DecodeError::Truncated)?;
        let out = &self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    /// The next field (number and value), or None at the end of the message.
    pub fn field(&mut self) -> Result<Option<(u32, Value<'a>)>, DecodeError> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let number = u32::try_from(key >> 3)
            .map_err(|_| DecodeError::Malformed("a field number out of range".into()))?;
        if number == 0 {
            return Err(DecodeError::Malformed("field number 0".into()));
        }
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            1 => {
                let b = self.take(8)?;
                Value::Fixed64(u64::from_le_bytes(b.try_into().map_err(|_| DecodeError::Truncated)?))
            }
            2 => {
                let len = usize::try_from(self.varint()?).map_err(|_| DecodeError::Truncated)?;
                Value::Bytes(self.take(len)?)
            }
            5 => {
                let b = self.take(4)?;
                Value::Fixed32(u32::from_le_bytes(b.try_into().map_err(|_| DecodeError::Truncated)?))
            }
            t => return Err(DecodeError::Malformed(format!("wire type {t} (groups are not used by OTLP)"))),
        };
        Ok(Some((number, value)))
    }
}

impl<'a> Value<'a> {
    pub fn bytes(&self, what: &str) -> Result<&'a [u8], DecodeError> {
        match self {
            Value::Bytes(b) => Ok(b),
            _ => Err(DecodeError::Malformed(format!("{what} is not length-delimited"))),
        }
    }

    pub fn text(&self, what: &str) -> Result<String, DecodeError> {
        let b = self.bytes(what)?;
        std::str::from_utf8(b)
            .map(str::to_string)
            .map_err(|_| DecodeError::Malformed(format!("{what} is not UTF-8")))
    }

    pub fn u64(&self, what: &str) -> Result<u64, DecodeError> {
        match self {
            Value::Varint(v) | Value::Fixed64(v) => Ok(*v),
            Value::Fixed32(v) => Ok(u64::from(*v)),
            Value::Bytes(_) => Err(DecodeError::Malformed(format!("{what} is not a number"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_and_refuses_truncation() {
        // field 1 varint 150, field 2 bytes "hi"
        let msg = [0x08, 0x96, 0x01, 0x12, 0x02, b'h', b'i'];
        let mut r = Reader::new(&msg);
        let Some((1, Value::Varint(150))) = r.field().unwrap() else { panic!("field 1") };
        let Some((2, v)) = r.field().unwrap() else { panic!("field 2") };
        assert_eq!(v.text("x").unwrap(), "hi");
        assert!(r.field().unwrap().is_none());
        let mut short = Reader::new(&msg[..5]);
        short.field().unwrap();
        assert!(matches!(short.field(), Err(DecodeError::Truncated)));
        let mut huge = Reader::new(&[0x12, 0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert!(matches!(huge.field(), Err(DecodeError::Truncated)));
    }
}
