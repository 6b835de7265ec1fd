//! Cutting a log into bounded windows, the way the host streams it to a
//! [`LogScanner`](crate::LogScanner).
//!
//! The host and the SDK's [`scan_in_windows`](crate::scan_in_windows) share
//! this code, so a rule's native tests see exactly the windows a component
//! sees.
//!
//! A window ends at a line end when it can. Each window after the first
//! begins with the last few lines of the one before (its `overlap`), so that
//! a pattern spanning lines is seen whole in some window. A line longer than
//! a whole window is cut into pieces (at a UTF-8 character boundary), each
//! piece carrying the line's number and no overlap.

use std::{
    borrow::Cow,
    collections::VecDeque,
    io::{self, Read},
};

/// One window of a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogWindow {
    /// The window's text: its overlap lines, then its new lines. Invalid
    /// UTF-8 is replaced by U+FFFD.
    pub text: String,
    /// Line number (1-based) in the whole log of the first line of `text`.
    pub first_line: u32,
    /// How many lines at the start of `text` ended the previous window too.
    pub overlap: u32,
    /// Whether the bytes of this window held invalid UTF-8.
    pub lossy: bool,
}

/// The windows of a log read from `reader`, in order.
pub struct Windows<R> {
    reader: R,
    window_bytes: usize,
    overlap_lines: usize,
    /// Bytes read but not yet in a window.
    pending: Vec<u8>,
    /// The last lines of the previous window, and how many they are.
    overlap: (Vec<u8>, u32),
    /// Line number of the first byte of `pending`.
    next_line: u32,
    eof: bool,
    /// Whether the last window ended inside a line.
    mid_line: bool,
}

impl<R: Read> Windows<R> {
    /// Windows of at most `window_bytes` new bytes each (at least 16),
    /// each starting with up to `overlap_lines` lines of the previous one
    /// (and no more than a quarter of a window of them).
    pub fn new(reader: R, window_bytes: usize, overlap_lines: usize) -> Windows<R> {
        Windows {
            reader,
            window_bytes: window_bytes.max(16),
            overlap_lines,
            pending: Vec::new(),
            overlap: (Vec::new(), 0),
            next_line: 1,
            eof: false,
            mid_line: false,
        }
    }

    /// The line number one past the last line of the log, once every window
    /// has been read (the `first_line` a job's `finish` is given).
    pub fn end_line(&self) -> u32 {
        self.next_line.saturating_add(u32::from(self.mid_line))
    }

    /// Whether line numbers ran out: the log has more lines than a `u32`
    /// counts (4,294,967,295), and the lines past that cannot be named.
    /// A reader should stop after the window that saturated them.
    pub fn lines_exhausted(&self) -> bool {
        self.end_line() == u32::MAX
    }

    /// The next window, `None` after the last; an error only when reading
    /// fails.
    pub fn next_window(&mut self) -> io::Result<Option<LogWindow>> {
        // Read up to a window, growing the buffer with what arrives (a small
        // log never costs a window-sized buffer).
        while !self.eof && self.pending.len() < self.window_bytes {
            let want = (self.window_bytes - self.pending.len()) as u64;
            let read = (&mut self.reader)
                .take(want)
                .read_to_end(&mut self.pending)?;
            if (read as u64) < want {
                self.eof = true;
            }
        }
        if self.pending.is_empty() {
            return Ok(None);
        }
        let take = if self.eof && self.pending.len() <= self.window_bytes {
            self.pending.len()
        } else {
            let head = &self.pending[..self.window_bytes];
            match head.iter().rposition(|&b| b == b'\n') {
                Some(i) => i + 1,
                // One line fills the window: cut it at a character boundary.
                None => char_boundary(head),
            }
        };
        let body: Vec<u8> = self.pending.drain(..take).collect();
        let ends_line = body.last() == Some(&b'\n');

        let (overlap_bytes, overlap_count) = std::mem::take(&mut self.overlap);
        let first_line = self.next_line - overlap_count;
        let newlines = body.iter().filter(|&&b| b == b'\n').count();
        let newlines = u32::try_from(newlines).unwrap_or(u32::MAX);
        self.next_line = self.next_line.saturating_add(newlines);
        self.mid_line = !ends_line;

        let mut bytes = overlap_bytes;
        bytes.extend_from_slice(&body);
        if ends_line && self.overlap_lines > 0 {
            self.overlap = last_lines(&bytes, self.overlap_lines, self.window_bytes / 4);
        }
        let (text, lossy) = match String::from_utf8(bytes) {
            Ok(text) => (text, false),
            Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), true),
        };
        Ok(Some(LogWindow {
            text,
            first_line,
            overlap: overlap_count,
            lossy,
        }))
    }
}

impl<R: Read> Iterator for Windows<R> {
    type Item = io::Result<LogWindow>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_window().transpose()
    }
}

/// Where to cut `head` (a full window) without splitting a UTF-8 character:
/// before the last character when it does not fit whole. Text that is not
/// UTF-8 there is cut at the window's end.
fn char_boundary(head: &[u8]) -> usize {
    let end = head.len();
    let continues = |b: u8| b & 0b1100_0000 == 0b1000_0000;
    let Some(lead) = (end.saturating_sub(4)..end)
        .rev()
        .find(|&i| !continues(head[i]))
    else {
        return end;
    };
    let width = match head[lead] {
        b if b < 0x80 => 1,
        b if b >= 0xF0 => 4,
        b if b >= 0xE0 => 3,
        b if b >= 0xC0 => 2,
        _ => 1,
    };
    if lead + width > end && lead > 0 {
        lead
    } else {
        end
    }
}

/// The last `lines` complete lines of `bytes` (which ends with a newline), no
/// more than `max_bytes` of them, and how many they are.
fn last_lines(bytes: &[u8], lines: usize, max_bytes: usize) -> (Vec<u8>, u32) {
    let mut start = bytes.len();
    let mut count = 0;
    while count < lines && start > 0 {
        let line_start = bytes[..start - 1]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        if bytes.len() - line_start > max_bytes {
            break;
        }
        start = line_start;
        count += 1;
    }
    (bytes[start..].to_vec(), count as u32)
}

/// The last few lines a log scanner has read, with their numbers: borrowed
/// from the window while it is read, and cut to [`excerpt`](crate::excerpt)s
/// only when they must outlive it (in the state, in a finding), so that
/// keeping them costs nothing per line.
#[derive(Debug, Clone)]
pub struct RecentLines<'a> {
    capacity: usize,
    lines: VecDeque<(u32, Cow<'a, str>)>,
}

impl<'a> RecentLines<'a> {
    /// Up to `capacity` lines, starting from those kept after the previous
    /// window.
    pub fn resume(capacity: usize, kept: &VecDeque<(u32, String)>) -> RecentLines<'a> {
        RecentLines {
            capacity,
            lines: kept
                .iter()
                .map(|(n, l)| (*n, Cow::Owned(l.clone())))
                .collect(),
        }
    }

    pub fn push(&mut self, n: u32, line: &'a str) {
        if self.lines.len() == self.capacity {
            self.lines.pop_front();
        }
        if self.capacity > 0 {
            self.lines.push_back((n, Cow::Borrowed(line)));
        }
    }

    /// Like [`push`](Self::push), for a line that may have been rewritten
    /// (a [cleaned](crate::ci::clean) line): a rewritten one is cut to an
    /// excerpt at once.
    pub fn push_cow(&mut self, n: u32, line: Cow<'a, str>) {
        match line {
            Cow::Borrowed(line) => self.push(n, line),
            Cow::Owned(line) => {
                if self.lines.len() == self.capacity {
                    self.lines.pop_front();
                }
                if self.capacity > 0 {
                    self.lines.push_back((n, Cow::Owned(crate::excerpt(&line))));
                }
            }
        }
    }

    /// The lines as excerpts, oldest first.
    pub fn excerpts(&self) -> VecDeque<(u32, String)> {
        self.lines
            .iter()
            .map(|(n, l)| {
                let text = match l {
                    Cow::Borrowed(line) => crate::excerpt(line),
                    Cow::Owned(kept) => kept.clone(),
                };
                (*n, text)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn windows(text: &str, bytes: usize, overlap: usize) -> Vec<LogWindow> {
        Windows::new(text.as_bytes(), bytes, overlap)
            .collect::<io::Result<Vec<_>>>()
            .unwrap()
    }

    fn numbered(lines: usize, width: usize) -> String {
        (1..=lines).map(|n| format!("{n:0width$}\n")).collect()
    }

    #[test]
    fn a_small_log_is_one_window() {
        let w = windows("a\nb\nc", 1024, 4);
        assert_eq!(w.len(), 1);
        assert_eq!(
            (w[0].text.as_str(), w[0].first_line, w[0].overlap),
            ("a\nb\nc", 1, 0)
        );
    }

    #[test]
    fn windows_end_at_lines_and_overlap_by_whole_lines() {
        // 1000 lines of 9 bytes (8 digits and a newline) in 1 KiB windows.
        let text = numbered(1000, 8);
        let w = windows(&text, 1024, 3);
        assert!(w.len() > 8);
        let mut next = 1;
        for (i, window) in w.iter().enumerate() {
            assert!(window.text.ends_with('\n'));
            let lines: Vec<&str> = window.text.lines().collect();
            // Every line is where its number says it is.
            for (k, line) in lines.iter().enumerate() {
                assert_eq!(line.parse::<u32>().unwrap(), window.first_line + k as u32);
            }
            assert_eq!(window.overlap, if i == 0 { 0 } else { 3 });
            assert_eq!(window.first_line + window.overlap, next, "window {i}");
            next = window.first_line + lines.len() as u32;
        }
        assert_eq!(next, 1001);
    }

    #[test]
    fn a_line_longer_than_a_window_comes_in_pieces_with_its_number() {
        let long = "é".repeat(3000); // 6000 bytes, two bytes a character
        let text = format!("first\n{long}\nlast\n");
        let mut it = Windows::new(text.as_bytes(), 1025, 2);
        let w: Vec<LogWindow> = it.by_ref().collect::<io::Result<_>>().unwrap();
        assert!(w.iter().all(|w| !w.lossy), "no character was split");
        let joined: String = w
            .iter()
            .map(|w| {
                w.text
                    .lines()
                    .skip(w.overlap as usize)
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .collect::<Vec<_>>()
            .join("");
        assert!(joined.contains(&long));
        // The first piece follows the overlap ("first"); the others stand alone.
        let pieces: Vec<&LogWindow> = w.iter().filter(|w| w.text.contains('é')).collect();
        assert!(pieces.len() >= 5);
        assert_eq!((pieces[0].first_line, pieces[0].overlap), (1, 1));
        assert!(
            pieces[1..]
                .iter()
                .all(|p| p.first_line == 2 && p.overlap == 0)
        );
        assert_eq!(w.last().unwrap().text.lines().last(), Some("last"));
        assert_eq!(it.end_line(), 4);
    }

    #[test]
    fn invalid_utf8_is_replaced_and_flagged() {
        let w: Vec<LogWindow> = Windows::new(&b"ok\ncaf\xe9\n"[..], 1024, 2)
            .collect::<io::Result<_>>()
            .unwrap();
        assert_eq!(w[0].text, "ok\ncaf\u{FFFD}\n");
        assert!(w[0].lossy);
    }

    #[test]
    fn recent_lines_keep_the_last_few_across_windows() {
        let kept = VecDeque::from([(1, "one".to_owned()), (2, "two".to_owned())]);
        let mut recent = RecentLines::resume(3, &kept);
        let long = "x".repeat(400);
        recent.push(3, "  three  ");
        recent.push(4, &long);
        let lines = recent.excerpts();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0], (2, "two".to_owned()));
        assert_eq!(lines[1], (3, "three".to_owned()));
        assert_eq!(lines[2].1.chars().count(), crate::EXCERPT_CHARS + 1);
    }

    #[test]
    fn line_numbers_saturate_instead_of_overflowing() {
        let mut w = Windows::new(&b"a\nb\nc"[..], 1024, 0);
        w.next_line = u32::MAX - 1;
        let window = w.next_window().unwrap().unwrap();
        assert_eq!(window.first_line, u32::MAX - 1);
        assert_eq!(w.end_line(), u32::MAX);
        assert!(w.lines_exhausted());
    }

    #[test]
    fn a_small_log_gets_a_small_buffer() {
        let mut w = Windows::new(&b"one line\n"[..], 8 << 20, 4);
        w.next_window().unwrap().unwrap();
        assert!(w.pending.capacity() < 1 << 20, "{}", w.pending.capacity());
    }

    #[test]
    fn end_line_counts_a_last_line_without_a_newline() {
        let mut it = Windows::new(&b"a\nb"[..], 1024, 2);
        while it.next_window().unwrap().is_some() {}
        assert_eq!(it.end_line(), 3);
        let mut it = Windows::new(&b"a\nb\n"[..], 1024, 2);
        while it.next_window().unwrap().is_some() {}
        assert_eq!(it.end_line(), 3);
    }
}
