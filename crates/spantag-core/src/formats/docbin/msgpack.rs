//! The subset of msgpack that spaCy's DocBin needs: maps, arrays, str, bin, unsigned integers,
//! booleans, nil and 64-bit floats, each in its shortest form (as `msgpack-python` writes them).

use std::io;

/// Largest msgpack bin/str/array/map length.
pub(super) const MAX_MSGPACK_LEN: usize = u32::MAX as usize;

/// A length too large for msgpack (more than `u32::MAX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct LengthOverflow;

impl From<LengthOverflow> for super::DocBinError {
    fn from(_: LengthOverflow) -> Self {
        super::DocBinError::TooLarge
    }
}

impl From<LengthOverflow> for io::Error {
    fn from(_: LengthOverflow) -> Self {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "DocBin field longer than msgpack's 4 GiB limit",
        )
    }
}

/// Header of a container or string: the fix form when `len <= fix_max`, else the 8/16/32-bit form
/// whose markers are given (`m8` may be `None` where msgpack has no 8-bit form).
#[inline]
fn mp_header(
    out: &mut Vec<u8>,
    len: usize,
    fix: Option<(u8, usize)>,
    m8: Option<u8>,
    m16: u8,
    m32: u8,
) -> Result<(), LengthOverflow> {
    match (fix, m8) {
        (Some((base, max)), _) if len <= max => out.push(base | len as u8),
        (_, Some(m)) if len <= u8::MAX as usize => out.extend_from_slice(&[m, len as u8]),
        _ if len <= u16::MAX as usize => {
            out.push(m16);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ if len <= MAX_MSGPACK_LEN => {
            out.push(m32);
            out.extend_from_slice(&(len as u32).to_be_bytes());
        }
        _ => return Err(LengthOverflow),
    }
    Ok(())
}

pub(super) fn mp_map_header(out: &mut Vec<u8>, len: usize) -> Result<(), LengthOverflow> {
    mp_header(out, len, Some((0x80, 15)), None, 0xde, 0xdf)
}

pub(super) fn mp_array_header(out: &mut Vec<u8>, len: usize) -> Result<(), LengthOverflow> {
    mp_header(out, len, Some((0x90, 15)), None, 0xdc, 0xdd)
}

fn mp_str_header(out: &mut Vec<u8>, len: usize) -> Result<(), LengthOverflow> {
    mp_header(out, len, Some((0xa0, 31)), Some(0xd9), 0xda, 0xdb)
}

pub(super) fn mp_bin_header(out: &mut Vec<u8>, len: usize) -> Result<(), LengthOverflow> {
    mp_header(out, len, None, Some(0xc4), 0xc5, 0xc6)
}

pub(super) fn mp_str(out: &mut Vec<u8>, s: &str) -> Result<(), LengthOverflow> {
    mp_str_header(out, s.len())?;
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

pub(super) fn mp_bin(out: &mut Vec<u8>, b: &[u8]) -> Result<(), LengthOverflow> {
    mp_bin_header(out, b.len())?;
    out.extend_from_slice(b);
    Ok(())
}

/// A non-negative integer in its shortest form.
pub(super) fn mp_uint(out: &mut Vec<u8>, v: u64) {
    if v < 0x80 {
        out.push(v as u8);
    } else if v <= u64::from(u8::MAX) {
        out.extend_from_slice(&[0xcc, v as u8]);
    } else if v <= u64::from(u16::MAX) {
        out.push(0xcd);
        out.extend_from_slice(&(v as u16).to_be_bytes());
    } else if v <= u64::from(u32::MAX) {
        out.push(0xce);
        out.extend_from_slice(&(v as u32).to_be_bytes());
    } else {
        out.push(0xcf);
        out.extend_from_slice(&v.to_be_bytes());
    }
}

pub(super) fn mp_bool(out: &mut Vec<u8>, v: bool) {
    out.push(if v { 0xc3 } else { 0xc2 });
}

/// `None` (Python's `None`).
pub(super) fn mp_nil(out: &mut Vec<u8>) {
    out.push(0xc0);
}

/// A 64-bit float (what `msgpack-python` writes for a Python `float`).
pub(super) fn mp_f64(out: &mut Vec<u8>, v: f64) {
    out.push(0xcb);
    out.extend_from_slice(&v.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hdr(f: fn(&mut Vec<u8>, usize) -> Result<(), LengthOverflow>, len: usize) -> Vec<u8> {
        let mut v = Vec::new();
        assert_eq!(f(&mut v, len), Ok(()));
        v
    }

    #[test]
    fn msgpack_array_and_map_boundaries() {
        assert_eq!(hdr(mp_array_header, 0), [0x90]);
        assert_eq!(hdr(mp_array_header, 15), [0x9f]);
        assert_eq!(hdr(mp_array_header, 16), [0xdc, 0x00, 0x10]);
        assert_eq!(hdr(mp_array_header, 65535), [0xdc, 0xff, 0xff]);
        assert_eq!(hdr(mp_array_header, 65536), [0xdd, 0x00, 0x01, 0x00, 0x00]);
        assert_eq!(hdr(mp_map_header, 0), [0x80]);
        assert_eq!(hdr(mp_map_header, 15), [0x8f]);
        assert_eq!(hdr(mp_map_header, 16), [0xde, 0x00, 0x10]);
        assert_eq!(hdr(mp_map_header, 65535), [0xde, 0xff, 0xff]);
        assert_eq!(hdr(mp_map_header, 65536), [0xdf, 0x00, 0x01, 0x00, 0x00]);
        assert_eq!(
            hdr(mp_map_header, u32::MAX as usize),
            [0xdf, 0xff, 0xff, 0xff, 0xff]
        );
        let mut v = Vec::new();
        assert_eq!(
            mp_array_header(&mut v, u32::MAX as usize + 1),
            Err(LengthOverflow)
        );
    }

    #[test]
    fn msgpack_str_boundaries() {
        for (len, head) in [
            (0usize, vec![0xa0]),
            (31, vec![0xbf]),
            (32, vec![0xd9, 32]),
            (255, vec![0xd9, 0xff]),
            (256, vec![0xda, 0x01, 0x00]),
            (65535, vec![0xda, 0xff, 0xff]),
            (65536, vec![0xdb, 0x00, 0x01, 0x00, 0x00]),
        ] {
            let s = "x".repeat(len);
            let mut v = Vec::new();
            assert_eq!(mp_str(&mut v, &s), Ok(()));
            assert_eq!(&v[..head.len()], &head[..], "str len {len}");
            assert_eq!(v.len(), head.len() + len);
        }
    }

    #[test]
    fn msgpack_bin_boundaries() {
        for (len, head) in [
            (0usize, vec![0xc4, 0]),
            (15, vec![0xc4, 15]),
            (16, vec![0xc4, 16]),
            (31, vec![0xc4, 31]),
            (32, vec![0xc4, 32]),
            (255, vec![0xc4, 0xff]),
            (256, vec![0xc5, 0x01, 0x00]),
            (65535, vec![0xc5, 0xff, 0xff]),
            (65536, vec![0xc6, 0x00, 0x01, 0x00, 0x00]),
        ] {
            let b = vec![7u8; len];
            let mut v = Vec::new();
            assert_eq!(mp_bin(&mut v, &b), Ok(()));
            assert_eq!(&v[..head.len()], &head[..], "bin len {len}");
            assert_eq!(v.len(), head.len() + len);
        }
    }

    #[test]
    fn msgpack_scalars() {
        let mut v = Vec::new();
        for x in [
            0u64,
            127,
            128,
            255,
            256,
            65535,
            65536,
            u32::MAX as u64,
            u32::MAX as u64 + 1,
        ] {
            mp_uint(&mut v, x);
        }
        mp_bool(&mut v, true);
        mp_bool(&mut v, false);
        mp_nil(&mut v);
        mp_f64(&mut v, 1.0);
        let expected: Vec<u8> = [
            &[0x00][..],
            &[0x7f],
            &[0xcc, 0x80],
            &[0xcc, 0xff],
            &[0xcd, 0x01, 0x00],
            &[0xcd, 0xff, 0xff],
            &[0xce, 0x00, 0x01, 0x00, 0x00],
            &[0xce, 0xff, 0xff, 0xff, 0xff],
            &[0xcf, 0, 0, 0, 1, 0, 0, 0, 0],
            &[0xc3, 0xc2],
            &[0xc0],
            &[0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0],
        ]
        .concat();
        assert_eq!(v, expected);
    }
}
