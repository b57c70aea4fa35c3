//! A reader that bounds line length, so one enormous JSON line (a tool result of tens of megabytes) cannot
//! make the line-oriented searcher buffer it whole.
//!
//! Bytes pass through unchanged except for lines longer than the limit: their first `limit` bytes pass,
//! the rest (up to the newline) is dropped, and the line is recorded in [`ClipLongLines::clipped`]. The
//! searcher therefore never holds more than about `limit` bytes of one line, and line numbers stay right
//! because every newline still passes. Finding line ends costs two short scans per read (the first newline
//! and the last one); the full per-line scan runs only while a line is near the limit.

use std::io::{self, Read};

use memchr::{memchr, memrchr};

/// A line the reader cut short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clipped {
    /// Where the line starts in the file, in bytes.
    pub offset: u64,
    /// The line's full length in bytes, without its newline (as far as it was read).
    pub len: u64,
}

/// Passes bytes through, cutting every line to at most `limit` bytes.
#[derive(Debug)]
pub struct ClipLongLines<R> {
    inner: R,
    limit: usize,
    /// Bytes of the current line passed so far.
    line_len: usize,
    /// Dropping the rest of a clipped line.
    skipping: bool,
    /// Bytes read from `inner` so far.
    consumed: u64,
    clipped: Vec<Clipped>,
}

impl<R: Read> ClipLongLines<R> {
    /// Wraps `inner`, allowing lines of up to `limit` bytes (at least 1).
    pub fn new(inner: R, limit: usize) -> Self {
        ClipLongLines {
            inner,
            limit: limit.max(1),
            line_len: 0,
            skipping: false,
            consumed: 0,
            clipped: Vec::new(),
        }
    }

    /// Bytes read from the inner reader so far.
    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    /// The lines cut so far, in file order.
    pub fn clipped(&self) -> &[Clipped] {
        &self.clipped
    }

    /// Handles `buf[..n]` just read: returns how many bytes (moved to the front of `buf`) pass on.
    fn filter(&mut self, buf: &mut [u8], n: usize, start: u64) -> usize {
        let room = self.limit - self.line_len;
        if !self.skipping && n <= self.limit {
            // Fast path: every line wholly inside `buf` is shorter than the limit; only the line that was
            // already under way, and the one left open at the end, need checking.
            match memchr(b'\n', &buf[..n.min(room + 1)]) {
                Some(_) => {
                    let last = memrchr(b'\n', &buf[..n]).unwrap_or(0);
                    self.line_len = n - last - 1;
                    return n;
                }
                None if n <= room => {
                    self.line_len += n;
                    return n;
                }
                None => {}
            }
        }
        let (mut p, mut out) = (0, 0);
        while p < n {
            if self.skipping {
                match memchr(b'\n', &buf[p..n]) {
                    None => {
                        self.grow_last_clip(n - p);
                        p = n;
                    }
                    Some(i) => {
                        self.grow_last_clip(i);
                        self.skipping = false;
                        self.line_len = 0;
                        p += i;
                    }
                }
                continue;
            }
            let room = self.limit - self.line_len;
            let window = n.min(p + room + 1);
            let take = match memchr(b'\n', &buf[p..window]) {
                Some(i) => {
                    self.line_len = 0;
                    i + 1
                }
                None if n - p <= room => {
                    self.line_len += n - p;
                    n - p
                }
                None => {
                    self.skipping = true;
                    self.clipped.push(Clipped {
                        offset: start + (p + room) as u64 - self.limit as u64,
                        len: self.limit as u64,
                    });
                    room
                }
            };
            buf.copy_within(p..p + take, out);
            out += take;
            p += take;
        }
        out
    }

    fn grow_last_clip(&mut self, by: usize) {
        if let Some(c) = self.clipped.last_mut() {
            c.len += by as u64;
        }
    }
}

impl<R: Read> Read for ClipLongLines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.inner.read(buf)?;
            if n == 0 {
                return Ok(0);
            }
            let start = self.consumed;
            self.consumed += n as u64;
            let out = self.filter(buf, n, start);
            // A read that was all dropped bytes must not look like the end of the file.
            if out > 0 {
                return Ok(out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads through the clipper with reads of at most `chunk` bytes.
    fn run(input: &[u8], limit: usize, chunk: usize) -> (Vec<u8>, Vec<Clipped>) {
        struct Chunked<'a>(&'a [u8], usize);
        impl Read for Chunked<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(self.1).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut r = ClipLongLines::new(Chunked(input, chunk), limit);
        let mut out = Vec::new();
        let mut buf = vec![0; chunk.max(1)];
        loop {
            let n = r.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        (out, r.clipped().to_vec())
    }

    #[test]
    fn short_lines_pass_unchanged_whatever_the_read_size() {
        let input = b"one\ntwo two\n\nthree\nlast-no-newline";
        for chunk in [1, 2, 3, 7, 64] {
            let (out, clips) = run(input, 16, chunk);
            assert_eq!(out, input, "chunk {chunk}");
            assert!(clips.is_empty());
        }
    }

    #[test]
    fn long_lines_are_cut_and_recorded_and_newlines_kept() {
        let long = "x".repeat(100);
        let input = format!("a\n{long}\nb\n{long}");
        for chunk in [1, 5, 10, 33, 64, 1000] {
            let (out, clips) = run(input.as_bytes(), 10, chunk);
            let expected = format!("a\n{}\nb\n{}", &long[..10], &long[..10]);
            assert_eq!(String::from_utf8(out).unwrap(), expected, "chunk {chunk}");
            assert_eq!(
                clips,
                vec![
                    Clipped {
                        offset: 2,
                        len: 100
                    },
                    Clipped {
                        offset: 105,
                        len: 100
                    }
                ],
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn a_line_of_exactly_the_limit_is_kept_whole() {
        let (out, clips) = run(b"0123456789\nab\n", 10, 4);
        assert_eq!(out, b"0123456789\nab\n");
        assert!(clips.is_empty());
    }
}
