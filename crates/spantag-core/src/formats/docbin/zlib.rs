//! zlib framing: independent raw-deflate segments that end byte-aligned (sync flush) and carry
//! their own Adler-32, so that they can be encoded in any order (or in parallel) and concatenated
//! into one zlib stream, as pigz does.

use super::Compression;
use std::io;

const ADLER_MOD: u64 = 65521;

/// The final (empty, stored) deflate block.
pub(super) const FINAL_BLOCK: [u8; 5] = [0x01, 0x00, 0x00, 0xff, 0xff];

/// One encoded piece of the stream: raw deflate data (non-final blocks, byte-aligned at the end),
/// and the Adler-32 and length of the bytes it holds.
pub(super) struct Segment {
    pub(super) data: Vec<u8>,
    pub(super) adler: u32,
    pub(super) len: usize,
}

impl Segment {
    /// `input` compressed with `encoder`.
    pub(super) fn encode(encoder: &mut ChunkEncoder, input: &[u8]) -> io::Result<Segment> {
        let mut data = Vec::new();
        encoder.encode(input, &mut data)?;
        Ok(Segment {
            data,
            adler: adler32(input),
            len: input.len(),
        })
    }
}

/// Adler-32 of `data`.
pub(super) fn adler32(data: &[u8]) -> u32 {
    let mut a = simd_adler32::Adler32::new();
    a.write(data);
    a.finish()
}

/// Adler-32 of the concatenation of two byte strings, from their checksums and the second length
/// (zlib's `adler32_combine`, which neither `simd-adler32` nor `flate2` offers).
pub(super) fn adler32_combine(adler1: u32, adler2: u32, len2: usize) -> u32 {
    let m = ADLER_MOD;
    let rem = (len2 as u64) % m;
    let (a1, b1) = (u64::from(adler1 & 0xffff), u64::from(adler1 >> 16));
    let (a2, b2) = (u64::from(adler2 & 0xffff), u64::from(adler2 >> 16));
    let a = (a1 + a2 + m - 1) % m;
    let b = (rem * a1 % m + b1 + b2 + m - rem) % m;
    ((b << 16) | a) as u32
}

/// The Adler-32 of segments in order.
pub(super) fn combined_adler<'s>(segments: impl IntoIterator<Item = &'s Segment>) -> u32 {
    segments
        .into_iter()
        .fold(1, |adler, s| adler32_combine(adler, s.adler, s.len))
}

impl Compression {
    fn level(self) -> flate2::Compression {
        match self {
            Compression::None => flate2::Compression::none(),
            Compression::Fast => flate2::Compression::fast(),
            Compression::Standard => flate2::Compression::new(6),
            Compression::Best => flate2::Compression::best(),
        }
    }

    /// zlib stream header (CMF = deflate with 32 KiB window, FLG with the level hint and FCHECK).
    pub(super) fn zlib_header(self) -> [u8; 2] {
        match self {
            Compression::None | Compression::Fast => [0x78, 0x01],
            Compression::Standard => [0x78, 0x9c],
            Compression::Best => [0x78, 0xda],
        }
    }
}

/// Compresses byte strings into independent raw-deflate segments with `flate2` at the level of
/// the [`Compression`] (`Fast` is level 1), each ended by a sync flush.
///
/// For `Fast` this replaced a hand-written one-probe LZ77 encoder of the sections after the token
/// rows. Exporting the 2,000-document benchmark corpus to `.spacy` (callgrind, instructions inside
/// `formats::export`): 894 million with that encoder, 868 million with `flate2`'s zlib-rs backend
/// (chosen, see Cargo.toml), 902 million with its miniz_oxide backend. The 20,000-document file is
/// 85,171,628 bytes against 85,210,394 before.
pub(super) struct ChunkEncoder {
    level: flate2::Compression,
    deflate: Option<flate2::Compress>,
}

impl ChunkEncoder {
    pub(super) fn new(compression: Compression) -> Self {
        Self {
            level: compression.level(),
            deflate: None,
        }
    }

    /// Appends the compressed `input` to `out`.
    pub(super) fn encode(&mut self, input: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
        let level = self.level;
        let c = self
            .deflate
            .get_or_insert_with(|| flate2::Compress::new(level, false));
        // A fresh dictionary per segment: no back-references into other segments.
        c.reset();
        loop {
            let rest = input.get(c.total_in() as usize..).unwrap_or_default();
            out.reserve(rest.len() / 2 + 1024);
            c.compress_vec(rest, out, flate2::FlushCompress::Sync)
                .map_err(io::Error::other)?;
            // The sync flush is complete once all input is consumed and the output had room left.
            if c.total_in() as usize >= input.len() && out.len() < out.capacity() {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Adler-32 one byte at a time, straight from RFC 1950.
    fn adler32_reference(data: &[u8]) -> u32 {
        let (mut a, mut b) = (1u64, 0u64);
        for &x in data {
            a = (a + u64::from(x)) % ADLER_MOD;
            b = (b + a) % ADLER_MOD;
        }
        ((b << 16) | a) as u32
    }

    #[test]
    fn adler32_and_combine() {
        assert_eq!(adler32(b""), 1);
        assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let whole = adler32(&data);
        assert_eq!(whole, adler32_reference(&data));
        for cut in [0, 1, 5552, 65521, 100_000, 200_000] {
            let (a, b) = data.split_at(cut);
            assert_eq!(
                adler32_combine(adler32(a), adler32(b), b.len()),
                whole,
                "cut {cut}"
            );
        }
    }

    /// Segments of every level, concatenated behind a zlib header and ended by the final block
    /// and the combined checksum, inflate to the concatenated input.
    #[test]
    fn segments_concatenate_into_one_zlib_stream() {
        use std::io::Read;
        let pieces: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"spaCy spaCy spaCy DocBin".repeat(5000),
            (0..300_000u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
                .collect(),
            "Zürich 東京 😀 e\u{301}".repeat(999).into_bytes(),
        ];
        for c in [
            Compression::None,
            Compression::Fast,
            Compression::Standard,
            Compression::Best,
        ] {
            let mut encoder = ChunkEncoder::new(c);
            let segments: Vec<Segment> = pieces
                .iter()
                .map(|p| match Segment::encode(&mut encoder, p) {
                    Ok(s) => s,
                    Err(e) => panic!("{e}"),
                })
                .collect();
            let mut file = c.zlib_header().to_vec();
            for s in &segments {
                file.extend_from_slice(&s.data);
            }
            file.extend_from_slice(&FINAL_BLOCK);
            file.extend_from_slice(&combined_adler(&segments).to_be_bytes());
            let mut raw = Vec::new();
            let r = flate2::read::ZlibDecoder::new(&file[..]).read_to_end(&mut raw);
            assert!(r.is_ok(), "{c:?}: {r:?}");
            assert!(raw == pieces.concat(), "{c:?}: content differs");
        }
    }
}
