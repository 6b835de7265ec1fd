//! A hostile rule: every string it hands the host carries terminal escape
//! sequences (a window title, a screen clear, an OSC 52 clipboard write, a
//! C1 CSI), a bare carriage return that would overwrite the line, and a
//! right-to-left override. Human-facing output must show them escaped.
//!
//! `mode` picks what it returns: `findings` (hostile titles, messages,
//! actions, fingerprints, excerpts and log lines), `undeclared` (a finding
//! of a hostile kind it never declared), `error` (a rule error of hostile
//! text, after printing what looks like a panic to stderr).

use augur_sdk::prelude::*;

/// Every trick at once.
pub const HOSTILE: &str =
    "\x1b]0;pwned\x07\x1b[2J\x1b]52;c;ZXZpbA==\x07\u{9b}31m\rFORGED\u{202e}gnp.exe\x7f";

pub struct HostileText;

#[derive(Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct Config {
    /// `findings`, `undeclared` or `error`.
    pub mode: String,
}

impl Rule for HostileText {
    type Config = Config;
    const ID: &'static str = "hostile-text";
    const VERSION: &'static str = "0.0.1";
    const DESCRIPTION: &'static str =
        "Hands the host escape sequences \x1b]0;pwned\x07\x1b[2J and \u{202e}reversed text\r";
    const KINDS: &'static [&'static str] = &["attack/text"];
}

impl Classifier for HostileText {
    fn classify(job: &Job, config: &Config) -> Result<Vec<Finding>, RuleError> {
        match config.mode.as_str() {
            "undeclared" => Ok(vec![Finding::new(
                format!("attack/{HOSTILE}"),
                Severity::High,
                "undeclared",
            )]),
            "error" => {
                eprintln!("thread 'main' panicked at src/lib.rs:1:1:\nforged panic {HOSTILE}");
                Err(RuleError::Internal(format!("gave up {HOSTILE}")))
            }
            _ => {
                println!("stdout {HOSTILE}");
                log(LogLevel::Warn, &format!("log {HOSTILE}"));
                Ok(vec![
                    Finding::new("attack/text", Severity::High, format!("title {HOSTILE}"))
                        .message(format!("message {HOSTILE}"))
                        .fingerprint(format!("fp {HOSTILE}"))
                        .action(format!("action {HOSTILE}"))
                        .evidence(Evidence::at_lines(job, 1, 1, format!("excerpt {HOSTILE}"))),
                ])
            }
        }
    }
}

augur_sdk::export_classifier!(HostileText);
