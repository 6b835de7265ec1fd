//! What a log scanner reads of a log (contract 0.1.5).
//!
//! A [`LogScanner`](crate::LogScanner) that returns an [`Interest`] from
//! [`LogScanner::interest`](crate::LogScanner::interest) is handed each
//! window with every line it does not want emptied: the line stays (its
//! newline kept, so line numbers do not change) but holds no text. augur
//! finds the wanted lines of every rule of a pack in one native pass over
//! each window (Aho-Corasick over all their literals), so a pack of
//! scanners reads a log about as fast as the host can search it, and each
//! rule's own code only runs over the lines that can matter to it.
//!
//! The rule's findings must be the same as over the whole text. Declare
//! every literal that any of its patterns needs to match (every match
//! contains one of them), the lines of context it reads around a hit, and
//! the first lines it always reads. [`blank`] is the one definition of what
//! a rule gets: the host and [`scan_prefiltered`](crate::scan_prefiltered)
//! (for native tests) both use it.

/// The most literals an interest may declare.
pub const MAX_LITERALS: usize = 4096;
/// The longest literal, in bytes.
pub const MAX_LITERAL_BYTES: usize = 256;
/// The most lines of context before or after a hit.
pub const MAX_CONTEXT_LINES: u32 = 1000;
/// The most lines of the log's start a rule may always want.
pub const MAX_HEAD_LINES: u32 = 100_000;

/// The lines of a log a rule reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Interest {
    /// A line is wanted when it contains one of these, compared
    /// ASCII-case-insensitively.
    pub literals: Vec<String>,
    /// Lines wanted before each line with a literal (back to the window's
    /// first line; windows overlap by the rule's `window_overlap_lines`).
    pub before: u32,
    /// Lines wanted after each line with a literal (across windows).
    pub after: u32,
    /// The log's first lines, always wanted.
    pub head: u32,
}

impl Interest {
    /// The lines holding one of `literals`, and nothing around them.
    pub fn literals<S: Into<String>>(literals: impl IntoIterator<Item = S>) -> Interest {
        Interest {
            literals: literals.into_iter().map(Into::into).collect(),
            ..Interest::default()
        }
    }

    /// Adds `literals`.
    pub fn and<S: Into<String>>(mut self, literals: impl IntoIterator<Item = S>) -> Interest {
        self.literals.extend(literals.into_iter().map(Into::into));
        self
    }

    /// Also the `before` lines before each line that holds a literal and the
    /// `after` lines after it.
    pub fn context(mut self, before: u32, after: u32) -> Interest {
        self.before = before;
        self.after = after;
        self
    }

    /// Also the log's first `lines` lines.
    pub fn head(mut self, lines: u32) -> Interest {
        self.head = lines;
        self
    }

    /// Literals in ASCII lower case, sorted, each once: the form the host
    /// receives.
    pub fn normalized(mut self) -> Interest {
        for l in &mut self.literals {
            l.make_ascii_lowercase();
        }
        self.literals.sort();
        self.literals.dedup();
        self
    }

    /// Whether the host can use it: within the bounds above, and no empty
    /// literal (which every line holds). Otherwise it says what is wrong,
    /// and the rule reads every line.
    pub fn check(&self) -> Result<(), String> {
        if self.literals.len() > MAX_LITERALS {
            return Err(format!(
                "{} literals, more than {MAX_LITERALS}",
                self.literals.len()
            ));
        }
        if let Some(l) = self
            .literals
            .iter()
            .find(|l| l.is_empty() || l.len() > MAX_LITERAL_BYTES)
        {
            return Err(format!(
                "a literal of {} bytes (each must be 1 to {MAX_LITERAL_BYTES})",
                l.len()
            ));
        }
        if self.before > MAX_CONTEXT_LINES || self.after > MAX_CONTEXT_LINES {
            return Err(format!(
                "{} lines of context before and {} after (at most {MAX_CONTEXT_LINES})",
                self.before, self.after
            ));
        }
        if self.head > MAX_HEAD_LINES {
            return Err(format!(
                "the first {} lines (at most {MAX_HEAD_LINES})",
                self.head
            ));
        }
        Ok(())
    }

    /// The lines of `text` holding a literal, as indexes from 0, by a plain
    /// search: what the host finds with Aho-Corasick, for native tests.
    pub fn hits(&self, text: &str) -> Vec<u32> {
        let literals: Vec<Vec<u8>> = self
            .literals
            .iter()
            .map(|l| l.as_bytes().to_ascii_lowercase())
            .collect();
        text.split_inclusive('\n')
            .enumerate()
            .filter(|(_, line)| {
                let line = line.as_bytes().to_ascii_lowercase();
                literals
                    .iter()
                    .any(|l| line.windows(l.len()).any(|w| w == l.as_slice()))
            })
            .map(|(i, _)| i as u32)
            .collect()
    }
}

/// The window `text`, whose first line is line `first_line` of the log, as
/// a rule with `interest` gets it: the lines it does not want emptied.
///
/// `hits` are the window's lines that hold a literal (indexes from 0,
/// ascending). `carry` is the last line (of the log) wanted as context after
/// a hit of an earlier window, 0 at the start of a log; it is updated for
/// the next window. A last line without a newline (the log's last, or a
/// piece of a line longer than a window) is always kept.
pub fn blank(
    text: &str,
    first_line: u32,
    interest: &Interest,
    hits: &[u32],
    carry: &mut u32,
) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut wanted = vec![false; lines.len()];
    let first = u64::from(first_line);
    // The head and the context carried from the window before.
    let head_end = u64::from(interest.head).max(u64::from(*carry));
    for (i, w) in wanted.iter_mut().enumerate() {
        if first + i as u64 > head_end {
            break;
        }
        *w = true;
    }
    for &hit in hits {
        let hit = hit as usize;
        if hit >= lines.len() {
            continue;
        }
        let from = hit.saturating_sub(interest.before as usize);
        let to = (hit + interest.after as usize).min(lines.len() - 1);
        for w in &mut wanted[from..=to] {
            *w = true;
        }
        let reach = first + hit as u64 + u64::from(interest.after);
        *carry = (*carry).max(reach.min(u64::from(u32::MAX)) as u32);
    }
    let kept: usize = lines
        .iter()
        .zip(&wanted)
        .map(|(l, w)| if *w { l.len() } else { 1 })
        .sum();
    let mut out = String::with_capacity(kept);
    for (line, want) in lines.iter().zip(&wanted) {
        if *want || !line.ends_with('\n') {
            out.push_str(line);
        } else {
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwanted_lines_are_emptied_and_numbering_kept() {
        let text = "a\nERROR one\nb\nc\nd\nwarn\nlast";
        let interest = Interest::literals(["error"]).context(1, 1).normalized();
        let hits = interest.hits(text);
        assert_eq!(hits, [1]);
        let mut carry = 0;
        let out = blank(text, 10, &interest, &hits, &mut carry);
        assert_eq!(out, "a\nERROR one\nb\n\n\n\nlast");
        assert_eq!(out.split('\n').count(), text.split('\n').count());
        assert_eq!(carry, 12, "the line after the hit, as a line of the log");
    }

    #[test]
    fn context_after_a_hit_crosses_into_the_next_window() {
        let interest = Interest::literals(["boom"]).context(0, 3);
        let mut carry = 0;
        let first = "x\nboom\n";
        blank(first, 1, &interest, &interest.hits(first), &mut carry);
        assert_eq!(carry, 5);
        // The next window starts at line 3: lines 3 to 5 are still wanted.
        let next = "p\nq\nr\ns\n";
        let out = blank(next, 3, &interest, &interest.hits(next), &mut carry);
        assert_eq!(out, "p\nq\nr\n\n");
    }

    #[test]
    fn the_head_is_always_wanted() {
        let interest = Interest::literals(["zzz"]).head(2);
        let mut carry = 0;
        assert_eq!(
            blank("$ make\nb\nc\n", 1, &interest, &[], &mut carry),
            "$ make\nb\n\n"
        );
        assert_eq!(blank("d\n", 4, &interest, &[], &mut carry), "\n");
    }

    #[test]
    fn bounds_are_checked() {
        assert!(Interest::literals(["ok"]).check().is_ok());
        assert!(Interest::literals([""]).check().is_err());
        assert!(
            Interest::literals(["x"])
                .context(MAX_CONTEXT_LINES + 1, 0)
                .check()
                .is_err()
        );
        let many: Vec<String> = (0..=MAX_LITERALS).map(|i| i.to_string()).collect();
        assert!(Interest::literals(many).check().is_err());
    }
}
