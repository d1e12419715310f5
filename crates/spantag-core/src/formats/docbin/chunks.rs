//! The generic part of the stream: bytes cut into `CHUNK_SIZE` chunks, each compressed into an
//! independent segment, on the calling thread or on a `rayon` pool while documents are still
//! being added. Segments come back in submission order, so the bytes do not depend on the number
//! of threads.

use super::Compression;
use super::zlib::{ChunkEncoder, Segment};
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{self, Receiver, Sender};

/// Uncompressed bytes per independently compressed chunk.
pub(super) const CHUNK_SIZE: usize = 1 << 20;

/// Chunks queued or being compressed per pool thread before `submit` waits for one to finish
/// (bounds the memory held by uncompressed chunks).
const QUEUE_PER_THREAD: usize = 2;

type Done = (usize, io::Result<Segment>);

/// Compresses submitted chunks into segments, keeping their order.
pub(super) struct Chunks {
    compression: Compression,
    threads: usize,
    /// Built at the first chunk when `threads > 1`; `None` compresses on the calling thread
    /// (also when the pool cannot be built).
    pool: Option<rayon::ThreadPool>,
    pool_tried: bool,
    inline: ChunkEncoder,
    results: (Sender<Done>, Receiver<Done>),
    in_flight: usize,
    segments: Vec<Option<Segment>>,
    /// A buffer of a chunk compressed inline, for the next chunk.
    spare: Option<Vec<u8>>,
    error: Option<io::Error>,
}

impl Chunks {
    /// Compresses on a pool of `threads` threads; 0 or 1 on the calling thread.
    pub(super) fn new(compression: Compression, threads: usize) -> Self {
        Self {
            compression,
            threads,
            pool: None,
            pool_tried: false,
            inline: ChunkEncoder::new(compression),
            results: mpsc::channel(),
            in_flight: 0,
            segments: Vec::new(),
            spare: None,
            error: None,
        }
    }

    /// An empty buffer with room for a chunk.
    pub(super) fn buffer(&mut self) -> Vec<u8> {
        self.spare
            .take()
            .unwrap_or_else(|| Vec::with_capacity(CHUNK_SIZE + 64))
    }

    fn pool(&mut self) -> Option<&rayon::ThreadPool> {
        if !self.pool_tried {
            self.pool_tried = true;
            if self.threads > 1 {
                self.pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(self.threads)
                    .thread_name(|i| format!("docbin-deflate-{i}"))
                    .build()
                    .ok();
            }
        }
        self.pool.as_ref()
    }

    /// Queues `input` as the next chunk.
    pub(super) fn submit(&mut self, mut input: Vec<u8>) {
        let seq = self.segments.len();
        self.segments.push(None);
        if self.pool().is_none() {
            let result = Segment::encode(&mut self.inline, &input);
            self.store(seq, result);
            input.clear();
            self.spare = Some(input);
            return;
        }
        while self.in_flight >= self.threads * QUEUE_PER_THREAD {
            self.receive();
        }
        let tx = self.results.0.clone();
        let compression = self.compression;
        if let Some(pool) = &self.pool {
            pool.spawn(move || {
                let result = catch_unwind(AssertUnwindSafe(|| {
                    Segment::encode(&mut ChunkEncoder::new(compression), &input)
                }))
                .unwrap_or_else(|_| Err(io::Error::other("a DocBin compression job panicked")));
                // The writer may be gone (dropped without `finish`): nothing to report to.
                let _ = tx.send((seq, result));
            });
            self.in_flight += 1;
        }
        while let Ok((seq, result)) = self.results.1.try_recv() {
            self.in_flight -= 1;
            self.store(seq, result);
        }
    }

    /// Waits for one compressed chunk.
    fn receive(&mut self) {
        // Every job sends exactly one result (panics are caught), and `self` holds a sender, so
        // this cannot fail while jobs are in flight.
        if let Ok((seq, result)) = self.results.1.recv() {
            self.in_flight -= 1;
            self.store(seq, result);
        }
    }

    fn store(&mut self, seq: usize, result: io::Result<Segment>) {
        match result {
            Ok(segment) => {
                if let Some(slot) = self.segments.get_mut(seq) {
                    *slot = Some(segment);
                }
            }
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
    }

    /// Waits for all chunks and returns their segments in submission order.
    pub(super) fn finish(mut self) -> io::Result<Vec<Segment>> {
        while self.in_flight > 0 {
            self.receive();
        }
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.segments
            .into_iter()
            .map(|s| s.ok_or_else(|| io::Error::other("missing DocBin chunk")))
            .collect()
    }
}

/// Feeds bytes to [`Chunks`] in `CHUNK_SIZE` pieces.
pub(super) struct ChunkWriter<'c> {
    chunks: &'c mut Chunks,
    buf: Vec<u8>,
}

impl<'c> ChunkWriter<'c> {
    pub(super) fn new(chunks: &'c mut Chunks) -> Self {
        let buf = chunks.buffer();
        Self { chunks, buf }
    }

    pub(super) fn push(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let room = CHUNK_SIZE.saturating_sub(self.buf.len()).max(1);
            let (now, later) = data.split_at(room.min(data.len()));
            self.buf.extend_from_slice(now);
            data = later;
            if self.buf.len() >= CHUNK_SIZE {
                let full = std::mem::take(&mut self.buf);
                self.chunks.submit(full);
                self.buf = self.chunks.buffer();
            }
        }
    }

    /// Submits the last, partial chunk.
    pub(super) fn close(self) {
        if !self.buf.is_empty() {
            self.chunks.submit(self.buf);
        }
    }
}
