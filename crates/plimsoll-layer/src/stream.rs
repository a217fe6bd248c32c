//! The byte pipeline under the tar walk, split over two threads.
//!
//! The decode thread reads and decompresses the blob, and does nothing else: gunzip alone
//! saturates one core (~400 MB/s of output here), so it sets the pace. It forwards the raw blob
//! bytes it reads and the decoded chunks it produces, in order, over one bounded channel. The
//! calling thread hashes both (content digest and diff-id), enforces the size limits and walks
//! the tar. Hashing the compressed bytes on the decode thread cost 14 % of its time (measured,
//! see docs/performance.md), which is why it moved. One channel for both kinds of message keeps
//! them ordered and the memory bounded at a few buffers whatever the layer size.

use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use sha2::{Digest as _, Sha256};

use plimsoll_types::Digest;

use crate::{Compression, Error, Limits};

/// Size of one decoded chunk handed from the decode thread to the walk thread.
const CHUNK: usize = 256 * 1024;
/// Messages in flight (raw and decoded): enough to absorb jitter between the threads, small
/// enough to be bounded.
const CHUNKS_IN_FLIGHT: usize = 8;
/// Read buffer over the raw blob.
const SOURCE_BUFFER: usize = 256 * 1024;

/// One message from the decode thread.
pub(crate) enum Message {
    /// Raw blob bytes, in the order read, for the content digest.
    Raw(Vec<u8>),
    /// Decoded bytes, with the number of compressed bytes consumed so far.
    Data {
        bytes: Vec<u8>,
        compressed_so_far: u64,
    },
    /// The blob ended cleanly: its size and compression.
    End {
        compressed_size: u64,
        compression: Compression,
    },
    /// The blob could not be read or decoded.
    Failed(Error),
}

/// Forwards and counts the raw blob bytes as the decoder pulls them.
struct Source<R> {
    inner: R,
    tx: SyncSender<Message>,
    /// Set when the walk thread hung up: decoding stops quietly.
    hung_up: bool,
    /// Shared with the pump, which cannot reach through the decoder's borrow.
    count: Rc<Cell<u64>>,
    /// The first read error, kept so it is reported instead of the decoder's confusion.
    error: Option<io::Error>,
}

impl<R: Read> Read for Source<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(0) => Ok(0),
            Ok(n) => {
                if self.tx.send(Message::Raw(buf[..n].to_vec())).is_err() {
                    self.hung_up = true;
                    return Err(io::Error::other("layer walk stopped"));
                }
                self.count.set(self.count.get() + n as u64);
                Ok(n)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                let copy = io::Error::new(e.kind(), e.to_string());
                self.error = Some(e);
                Err(copy)
            }
        }
    }
}

/// Runs the decode side: read, forward, decompress, send chunks. Returns when the blob ends, an
/// error occurs, or the receiver hung up (the walk failed and no longer wants data).
pub(crate) fn decode<R: Read>(blob: R, tx: &SyncSender<Message>, recycled: &Receiver<Vec<u8>>) {
    let count = Rc::new(Cell::new(0));
    let source = Source {
        inner: blob,
        tx: tx.clone(),
        hung_up: false,
        count: Rc::clone(&count),
        error: None,
    };
    let mut buffered = BufReader::with_capacity(SOURCE_BUFFER, source);
    let compression = match buffered.fill_buf() {
        Ok(prefix) => Compression::detect(prefix),
        Err(e) => {
            let _ = tx.send(Message::Failed(Error::Read(e)));
            return;
        }
    };
    let result = match compression {
        Compression::Gzip => pump(
            flate2::bufread::MultiGzDecoder::new(&mut buffered),
            &count,
            tx,
            recycled,
        ),
        Compression::Zstd => match zstd::stream::read::Decoder::with_buffer(&mut buffered) {
            Ok(decoder) => pump(decoder, &count, tx, recycled),
            Err(e) => Err(e),
        },
        Compression::None => pump(&mut buffered, &count, tx, recycled),
    };
    let source = buffered.into_inner();
    if source.hung_up {
        return;
    }
    let message = match result {
        Ok(PumpEnd::Finished) => Message::End {
            compressed_size: source.count.get(),
            compression,
        },
        Ok(PumpEnd::ReceiverGone) => return,
        Err(e) => match source.error {
            Some(read_error) => Message::Failed(Error::Read(read_error)),
            None => Message::Failed(Error::Decompress {
                compression,
                source: e,
            }),
        },
    };
    let _ = tx.send(message);
}

enum PumpEnd {
    Finished,
    ReceiverGone,
}

fn pump<D: Read>(
    mut decoder: D,
    compressed: &Rc<Cell<u64>>,
    tx: &SyncSender<Message>,
    recycled: &Receiver<Vec<u8>>,
) -> io::Result<PumpEnd> {
    loop {
        let mut bytes = recycled
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
        bytes.resize(CHUNK, 0);
        let mut filled = 0;
        // Fill the chunk completely (or to EOF) so the walk side sees few, large messages.
        while filled < CHUNK {
            match decoder.read(&mut bytes[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        bytes.truncate(filled);
        if filled == 0 {
            return Ok(PumpEnd::Finished);
        }
        let message = Message::Data {
            bytes,
            compressed_so_far: compressed.get(),
        };
        if tx.send(message).is_err() {
            return Ok(PumpEnd::ReceiverGone);
        }
    }
}

/// The walk side of the channel: a `Read` over decoded chunks that hashes them (diff-id) and
/// enforces [`Limits`]. A fault (from the decode thread or a limit) is parked in `fault` and
/// surfaced as an I/O error, so the tar reader stops; the walk then reports the parked fault,
/// which names the real cause rather than the tar reader's view of it.
pub(crate) struct Decoded {
    rx: Receiver<Message>,
    recycle: SyncSender<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
    limits: Limits,
    /// Over the uncompressed stream: the diff-id.
    hasher: Sha256,
    /// Over the raw blob: the content digest.
    raw_hasher: Sha256,
    pub(crate) uncompressed: u64,
    pub(crate) fault: Option<Error>,
    pub(crate) end: Option<(u64, Digest, Compression)>,
}

impl Decoded {
    fn fail(&mut self, error: Error) -> io::Error {
        let message = error.to_string();
        self.fault.get_or_insert(error);
        io::Error::other(message)
    }

    /// The diff-id of everything read so far (call once the stream has ended).
    pub(crate) fn finish_hash(&mut self) -> Digest {
        Digest::from_sha256_bytes(&std::mem::take(&mut self.hasher).finalize())
    }

    fn check_limits(&mut self, compressed_so_far: u64) -> Result<(), Error> {
        let limits = self.limits;
        if self.uncompressed > limits.max_uncompressed_bytes {
            return Err(Error::TooLarge {
                limit: limits.max_uncompressed_bytes,
            });
        }
        if self.uncompressed > limits.ratio_grace_bytes && compressed_so_far > 0 {
            let ratio = self.uncompressed / compressed_so_far;
            if ratio > limits.max_expansion_ratio {
                return Err(Error::ExpansionRatio {
                    ratio,
                    uncompressed: self.uncompressed,
                    compressed: compressed_so_far,
                    limit: limits.max_expansion_ratio,
                });
            }
        }
        Ok(())
    }
}

impl Read for Decoded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.fault.is_some() {
            return Err(io::Error::other("layer stream already failed"));
        }
        while self.pos == self.current.len() {
            if self.end.is_some() {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Message::Raw(raw)) => self.raw_hasher.update(&raw),
                Ok(Message::Data {
                    bytes,
                    compressed_so_far,
                }) => {
                    let done = std::mem::replace(&mut self.current, bytes);
                    let _ = self.recycle.try_send(done);
                    self.pos = 0;
                    self.uncompressed += self.current.len() as u64;
                    self.hasher.update(&self.current);
                    if let Err(e) = self.check_limits(compressed_so_far) {
                        return Err(self.fail(e));
                    }
                }
                Ok(Message::End {
                    compressed_size,
                    compression,
                }) => {
                    let digest =
                        Digest::from_sha256_bytes(&std::mem::take(&mut self.raw_hasher).finalize());
                    self.end = Some((compressed_size, digest, compression));
                }
                Ok(Message::Failed(e)) => return Err(self.fail(e)),
                Err(_) => {
                    return Err(self.fail(Error::Read(io::Error::other(
                        "layer decode thread stopped unexpectedly",
                    ))));
                }
            }
        }
        let n = buf.len().min(self.current.len() - self.pos);
        buf[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Creates the channel pair: the sender side for [`decode`], the reader side for the walk.
pub(crate) fn channel(limits: Limits) -> (SyncSender<Message>, Receiver<Vec<u8>>, Decoded) {
    let (tx, rx) = sync_channel(CHUNKS_IN_FLIGHT);
    let (recycle, recycled) = sync_channel(CHUNKS_IN_FLIGHT + 2);
    let decoded = Decoded {
        rx,
        recycle,
        current: Vec::new(),
        pos: 0,
        limits,
        hasher: Sha256::new(),
        raw_hasher: Sha256::new(),
        uncompressed: 0,
        fault: None,
        end: None,
    };
    (tx, recycled, decoded)
}
