//! The dedicated deflate encoder of the token rows (`Compression::Fast`), kept hand-written
//! because it is about twice as fast as `flate2` on this data (figures at [`RowEncoder`]).

use super::ROW_BYTES;
use super::strings::NO_ROW;
use super::zlib::Segment;

/// Fixed-Huffman literal/length codes (RFC 1951 3.2.6), bit-reversed for LSB-first output.
const FIXED_LIT: [(u16, u8); 288] = {
    let mut t = [(0u16, 0u8); 288];
    let mut sym = 0;
    while sym < 288 {
        let (code, len) = match sym {
            0..=143 => (0x30 + sym, 8),
            144..=255 => (0x190 + sym - 144, 9),
            256..=279 => (sym - 256, 7),
            _ => (0xc0 + sym - 280, 8),
        };
        t[sym as usize] = (((code as u16).reverse_bits()) >> (16 - len), len as u8);
        sym += 1;
    }
    t
};
const LEN_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LEN_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];
/// For each match length 3..=258: fixed-Huffman length code followed by its extra bits, as one
/// LSB-first bit string, and its bit count.
const LEN_BITS: [(u32, u8); 259] = {
    let mut t = [(0u32, 0u8); 259];
    let mut li = 0;
    while li < 29 {
        let (code, clen) = FIXED_LIT[257 + li];
        let base = LEN_BASE[li] as usize;
        let extra = LEN_EXTRA[li];
        let end = if li == 28 {
            259
        } else {
            LEN_BASE[li + 1] as usize
        };
        let mut len = base;
        while len < end {
            t[len] = (code as u32 | (((len - base) as u32) << clen), clen + extra);
            len += 1;
        }
        li += 1;
    }
    t
};
/// Distance code of `d - 1` for `d <= 256` at `[d - 1]`, else at `[256 + ((d - 1) >> 7)]` (zlib's
/// `d_code` scheme).
const DIST_CODE: [u8; 512] = {
    let mut t = [0u8; 512];
    let mut di = 0;
    while di < 30 {
        let base = DIST_BASE[di] as usize;
        let end = if di == 29 {
            32769
        } else {
            DIST_BASE[di + 1] as usize
        };
        let mut d = base;
        while d < end {
            if d <= 256 {
                t[d - 1] = di as u8;
            } else {
                t[256 + ((d - 1) >> 7)] = di as u8;
            }
            d += 1;
        }
        di += 1;
    }
    t
};
/// Deflate's window and longest match.
const WINDOW: u64 = 32768;
const MAX_MATCH: u32 = 258;
/// Rows a back-reference can reach.
const WINDOW_ROWS: u64 = WINDOW / ROW_BYTES as u64;
/// Ring of recent rows' (ENT_IOB, ENT_TYPE) columns; a power of two above `WINDOW_ROWS`.
const TAIL_RING: usize = 2048;
/// Distinct recent (ENT_IOB, ENT_TYPE) pairs remembered for tail back-references.
const RECENT_TAILS: usize = 16;

/// LSB-first bit packer.
#[derive(Default)]
pub(super) struct BitWriter {
    pub(super) out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl BitWriter {
    /// Appends the low `len` (<= 32) bits of `bits` (fewer than 32 bits are pending before).
    #[inline]
    fn put(&mut self, bits: u32, len: u32) {
        self.acc |= u64::from(bits) << self.n;
        self.n += len;
        if self.n >= 32 {
            self.out.extend_from_slice(&(self.acc as u32).to_le_bytes());
            self.acc >>= 32;
            self.n -= 32;
        }
    }

    #[inline]
    fn literal(&mut self, byte: u8) {
        let (code, len) = FIXED_LIT[byte as usize];
        self.put(u32::from(code), u32::from(len));
    }

    /// Three literals in one `put` (at most 27 bits).
    #[inline]
    fn literals3(&mut self, a: u8, b: u8, c: u8) {
        let (ca, la) = FIXED_LIT[a as usize];
        let (cb, lb) = FIXED_LIT[b as usize];
        let (cc, lc) = FIXED_LIT[c as usize];
        let (la, lb, lc) = (u32::from(la), u32::from(lb), u32::from(lc));
        self.put(
            u32::from(ca) | (u32::from(cb) << la) | (u32::from(cc) << (la + lb)),
            la + lb + lc,
        );
    }

    /// Literal bytes.
    #[inline]
    fn literals(&mut self, bytes: &[u8]) {
        let mut triples = bytes.chunks_exact(3);
        for t in &mut triples {
            self.literals3(t[0], t[1], t[2]);
        }
        for &b in triples.remainder() {
            self.literal(b);
        }
    }

    /// A back-reference; `3 <= len <= 258`, `1 <= dist <= 32768`; one `put` of at most 31 bits.
    #[inline]
    fn copy(&mut self, len: u32, dist: u64) {
        let (lbits, llen) = LEN_BITS[len as usize];
        let d = dist as usize - 1;
        let di = if d < 256 {
            DIST_CODE[d]
        } else {
            DIST_CODE[256 + ((d >> 7) & 255)]
        } as usize;
        // Fixed distance codes are 5 bits.
        let dbits = u32::from((di as u8).reverse_bits() >> 3)
            | (((dist - u64::from(DIST_BASE[di])) as u32) << 5);
        let dlen = 5 + u32::from(DIST_EXTRA[di]);
        self.put(lbits | (dbits << llen), u32::from(llen) + dlen);
    }

    /// Pads with zero bits to a byte boundary.
    fn align(&mut self) {
        while self.n > 0 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n = self.n.saturating_sub(8);
        }
        self.acc = 0;
    }
}

/// `Fast` encoder of the `tokens` payload: one fixed-Huffman deflate block in which a row whose
/// token occurred within the last 32 KiB becomes a back-reference to that occurrence (found via
/// the intern table, so there is no match search) and the (ENT_IOB, ENT_TYPE) columns refer back
/// to a recent row with the same values.
///
/// Why it is hand-written: on the 996,442 token rows (23.9 MB) of the 2,000-document benchmark
/// corpus it takes 29-34 ms (710-820 MB/s) where `flate2` level 1 (zlib-rs backend, the fastest
/// measured) takes 55-69 ms (350-440 MB/s), 1.8-2.2x longer, for a 1.7% larger output (7,374,157
/// bytes against 7,249,068); best of 5, three runs on a shared 2-core machine
/// (`row_encoder_against_flate2` in the tests below). The rows are about 85% of the uncompressed
/// `.spacy` data: `flate2` on them would add about 0.3 s to the 20,000-document export of
/// `cargo bench --bench export_corpus` (3.4-4.5 s on that machine).
pub(super) struct RowEncoder {
    pub(super) bits: BitWriter,
    rows: u64,
    /// (ENT_IOB, ENT_TYPE) of row `r` at `r % TAIL_RING`.
    tails: Vec<(u64, u64)>,
    /// Recently used (ENT_IOB, ENT_TYPE) pairs and the last row that had each.
    recent: Vec<((u64, u64), u64)>,
    /// Index in `recent` of the previous row's pair.
    recent_prev: usize,
    /// A whole-row back-reference not yet emitted, extended while following rows repeat the
    /// rows after the referenced one: (distance, length).
    pending: Option<(u64, u32)>,
    /// Adler-32 of the rows summed so far.
    adler: simd_adler32::Adler32,
    /// Rows not yet added to `adler`: summed in batches of `ADLER_BATCH` bytes, which costs less
    /// than a call per row.
    unsummed: Vec<u8>,
}

/// Bytes of rows summed at once (512 rows).
const ADLER_BATCH: usize = 512 * ROW_BYTES;

impl RowEncoder {
    pub(super) fn new() -> Self {
        Self {
            bits: BitWriter::default(),
            rows: 0,
            tails: vec![(0, 0); TAIL_RING],
            recent: Vec::with_capacity(RECENT_TAILS),
            recent_prev: 0,
            pending: None,
            adler: simd_adler32::Adler32::new(),
            unsummed: Vec::with_capacity(ADLER_BATCH),
        }
    }

    fn flush_pending(&mut self) {
        if let Some((dist, len)) = self.pending.take() {
            self.bits.copy(len, dist);
        }
    }

    /// Encodes the next row; `last_row` is the previous row with the same token (or `NO_ROW`).
    #[inline]
    pub(super) fn push(&mut self, orth: u64, iob: u64, ent_type: u64, last_row: u32) {
        let i = self.rows;
        if i == 0 {
            // BFINAL = 0, BTYPE = 01 (fixed Huffman).
            self.bits.put(0b010, 3);
        }
        let mut row = [0u8; ROW_BYTES];
        row[0..8].copy_from_slice(&orth.to_le_bytes());
        row[8..16].copy_from_slice(&iob.to_le_bytes());
        row[16..24].copy_from_slice(&ent_type.to_le_bytes());
        let tail = (iob, ent_type);
        let orth_in_window = last_row != NO_ROW && i - u64::from(last_row) <= WINDOW_ROWS;
        let orth_rows_back = i.wrapping_sub(u64::from(last_row));
        // Where this row's pair last occurred in `recent` (the previous row's, most of the time).
        let same_as_prev = i > 0
            && self
                .recent
                .get(self.recent_prev)
                .is_some_and(|e| e.0 == tail);
        let slot = if same_as_prev {
            Some(self.recent_prev)
        } else {
            self.recent.iter().position(|e| e.0 == tail)
        };

        if orth_in_window && self.tails[(last_row as usize) % TAIL_RING] == tail {
            let dist = orth_rows_back * ROW_BYTES as u64;
            match &mut self.pending {
                Some((d, len)) if *d == dist && *len + ROW_BYTES as u32 <= MAX_MATCH => {
                    *len += ROW_BYTES as u32;
                }
                _ => {
                    self.flush_pending();
                    self.pending = Some((dist, ROW_BYTES as u32));
                }
            }
        } else {
            self.flush_pending();
            if orth_in_window {
                self.bits.copy(8, orth_rows_back * ROW_BYTES as u64);
            } else {
                self.bits.literals(&row[0..8]);
            }
            match slot.and_then(|k| self.recent.get(k)) {
                Some(&(_, r)) if i - r <= WINDOW_ROWS => {
                    self.bits.copy(16, (i - r) * ROW_BYTES as u64);
                }
                _ => self.bits.literals(&row[8..24]),
            }
        }

        self.tails[(i as usize) % TAIL_RING] = tail;
        self.recent_prev = match slot {
            Some(k) => k,
            None if self.recent.len() < RECENT_TAILS => {
                self.recent.push((tail, i));
                self.recent.len() - 1
            }
            None => self
                .recent
                .iter()
                .enumerate()
                .min_by_key(|(_, e)| e.1)
                .map_or(0, |(k, _)| k),
        };
        if let Some(e) = self.recent.get_mut(self.recent_prev) {
            *e = (tail, i);
        }

        self.unsummed.extend_from_slice(&row);
        if self.unsummed.len() >= ADLER_BATCH {
            self.adler.write(&self.unsummed);
            self.unsummed.clear();
        }
        self.rows = i + 1;
    }

    /// The byte-aligned (sync-flushed), non-final deflate segment holding all rows.
    pub(super) fn finish(mut self) -> Segment {
        let len = self.rows as usize * ROW_BYTES;
        if self.rows > 0 {
            self.flush_pending();
            self.bits.put(0, 7); // end of block (code 256)
            self.bits.put(0, 3); // empty stored block: BFINAL = 0, BTYPE = 00
            self.bits.align();
            self.bits.out.extend_from_slice(&[0x00, 0x00, 0xff, 0xff]);
        }
        self.adler.write(&self.unsummed);
        Segment {
            data: self.bits.out,
            adler: self.adler.finish(),
            len,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::io::Read;

    /// Rows as the writer feeds them: `(orth, ent_iob, ent_type)`.
    type Row = (u64, u64, u64);

    /// Per row, the previous row with the same ORTH (`NO_ROW` if none), as the writer's string
    /// table tracks it.
    fn last_rows(rows: &[Row]) -> Vec<u32> {
        let mut last: HashMap<u64, u32> = HashMap::new();
        (0..rows.len())
            .map(|i| last.insert(rows[i].0, i as u32).unwrap_or(NO_ROW))
            .collect()
    }

    fn encode_rows(rows: &[Row], last_rows: &[u32]) -> Segment {
        let mut enc = RowEncoder::new();
        for (&(orth, iob, ent_type), &last_row) in rows.iter().zip(last_rows) {
            enc.push(orth, iob, ent_type, last_row);
        }
        enc.finish()
    }

    fn raw_rows(rows: &[Row]) -> Vec<u8> {
        let mut raw = Vec::with_capacity(rows.len() * ROW_BYTES);
        for &(a, b, c) in rows {
            for v in [a, b, c] {
                raw.extend_from_slice(&v.to_le_bytes());
            }
        }
        raw
    }

    /// The segment as a whole zlib stream, inflated by flate2 (which checks the Adler-32).
    fn inflate_segment(s: &Segment) -> Vec<u8> {
        let mut file = vec![0x78, 0x01];
        file.extend_from_slice(&s.data);
        file.extend_from_slice(&super::super::zlib::FINAL_BLOCK);
        file.extend_from_slice(&s.adler.to_be_bytes());
        let mut raw = Vec::new();
        let r = flate2::read::ZlibDecoder::new(&file[..]).read_to_end(&mut raw);
        assert!(r.is_ok(), "{r:?}");
        raw
    }

    /// Frequent and rare tokens, runs of one token, a repeated phrase longer than one 258-byte
    /// match, repeats beyond the 32 KiB window, more (ENT_IOB, ENT_TYPE) pairs than the encoder
    /// remembers, and ENT_IOB/ENT_TYPE values of more than one byte.
    fn mixed_rows(n: usize) -> Vec<Row> {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut rnd = move |m: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % m
        };
        (0..n)
            .map(|i| {
                let orth = match i % 500 {
                    0..40 => 1000 + (i % 500) as u64,
                    100..130 => 7,
                    _ if rnd(2) == 0 => rnd(30),
                    _ => u64::MAX - rnd(50_000),
                };
                let (iob, ent_type) = match rnd(10) {
                    0 => (3, 1 + rnd(40)),
                    1 => (1, 1 + rnd(40)),
                    2 => (rnd(3) << 9, u64::MAX - rnd(3)),
                    _ => (2, 0),
                };
                (orth, iob, ent_type)
            })
            .collect()
    }

    #[test]
    fn rows_inflate_to_the_rows() {
        for n in [0, 1, 2, 511, 512, 513, 20_000] {
            let rows = mixed_rows(n);
            let segment = encode_rows(&rows, &last_rows(&rows));
            assert_eq!(segment.len, n * ROW_BYTES);
            let raw = inflate_segment(&segment);
            assert!(raw == raw_rows(&rows), "{n} rows differ");
            if n == 20_000 {
                assert!(segment.data.len() * 2 < raw.len(), "{}", segment.data.len());
            }
        }
    }

    /// The figure quoted at [`RowEncoder`]: the row encoder and flate2 at level 1 on the token
    /// rows of the benchmark corpus (`bench-data/corpus-2000.jsonl`, see benches/export_corpus.rs;
    /// tokens split at spaces and before `.`/`,`, as the export mostly does). Run with
    /// `cargo test --release -p spantag-core --lib row_encoder_against_flate2 -- --ignored --nocapture`.
    #[test]
    #[ignore = "measurement: needs the benchmark corpus and a release build"]
    fn row_encoder_against_flate2() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../bench-data/corpus-2000.jsonl"
        );
        let Ok(corpus) = std::fs::read_to_string(path) else {
            println!("skipped: {path} not found (cargo bench --bench export_corpus makes it)");
            return;
        };
        let rows = corpus_rows(&corpus);
        let last = last_rows(&rows);
        let raw = raw_rows(&rows);
        let best = |f: &mut dyn FnMut() -> usize| {
            let mut times = Vec::new();
            let mut size = 0;
            for _ in 0..5 {
                let t = std::time::Instant::now();
                size = f();
                times.push(t.elapsed().as_secs_f64());
            }
            times.sort_by(f64::total_cmp);
            (times[0], size)
        };
        let (rows_s, rows_size) = best(&mut || encode_rows(&rows, &last).data.len());
        let (flate_s, flate_size) = best(&mut || {
            let mut enc = super::super::zlib::ChunkEncoder::new(super::super::Compression::Fast);
            let mut out = Vec::new();
            for chunk in raw.chunks(1 << 20) {
                assert!(enc.encode(chunk, &mut out).is_ok());
            }
            out.len()
        });
        let mb = raw.len() as f64 / 1e6;
        println!(
            "{} rows ({mb:.1} MB): row encoder {:.1} ms ({:.0} MB/s, {rows_size} bytes); \
             flate2 level 1 {:.1} ms ({:.0} MB/s, {flate_size} bytes); {:.1}x",
            rows.len(),
            rows_s * 1e3,
            mb / rows_s,
            flate_s * 1e3,
            mb / flate_s,
            flate_s / rows_s
        );
    }

    /// Token rows of the JSONL corpus: ORTH is the MurmurHash64A of the token, ENT_IOB/ENT_TYPE
    /// come from the ACTOR/PLACE/NUMBER spans (by code point offsets).
    fn corpus_rows(corpus: &str) -> Vec<Row> {
        let mut rows = Vec::new();
        for line in corpus.lines() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            let text = v["text"].as_str().unwrap_or_default();
            let mut ents: Vec<(usize, usize, u64)> = v["spans"]
                .as_array()
                .map(|spans| {
                    spans
                        .iter()
                        .filter(|s| s["label"] != "CLAIM")
                        .map(|s| {
                            let label = s["label"].as_str().unwrap_or_default();
                            let n = |k: &str| s[k].as_u64().unwrap_or(0) as usize;
                            (n("start"), n("end"), super::super::string_id(label))
                        })
                        .collect()
                })
                .unwrap_or_default();
            ents.sort_unstable();
            let mut tokens: Vec<(usize, &str)> = Vec::new();
            let mut at = 0;
            for piece in text.split(' ') {
                for (k, part) in piece.split("\n\n").enumerate() {
                    if k > 0 {
                        tokens.push((at, "\n\n"));
                        at += 2;
                    }
                    let word = part.trim_end_matches(['.', ',']);
                    if !word.is_empty() {
                        tokens.push((at, word));
                    }
                    let n = word.chars().count();
                    if part.len() > word.len() {
                        tokens.push((at + n, part.get(word.len()..).unwrap_or_default()));
                    }
                    at += part.chars().count();
                }
                at += 1;
            }
            let mut e = ents.iter().peekable();
            for (start, tok) in tokens {
                while e.next_if(|x| x.1 <= start).is_some() {}
                let (iob, ent_type) = match e.peek() {
                    Some(&&(s, _, label)) if s == start => (3, label),
                    Some(&&(s, _, label)) if s < start => (1, label),
                    _ => (2, 0),
                };
                rows.push((super::super::string_id(tok), iob, ent_type));
            }
        }
        rows
    }
}
