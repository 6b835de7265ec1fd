//! A probing rule: on every job it tries to reach outside the sandbox (read
//! a file, list the root directory, read environment variables and the
//! program's arguments) and reports what it got as one finding, so a test
//! can assert that it got nothing.

use augur_sdk::prelude::*;
use serde_json::json;

pub struct SandboxProbe;

#[derive(Default, serde::Deserialize, schemars::JsonSchema)]
pub struct Config {}

impl Rule for SandboxProbe {
    type Config = Config;
    const ID: &'static str = "sandbox-probe";
    const VERSION: &'static str = "0.0.1";
    const DESCRIPTION: &'static str = "Reports what it can reach outside the sandbox";
    const KINDS: &'static [&'static str] = &["probe/report"];
}

impl Classifier for SandboxProbe {
    fn classify(job: &Job, _: &Config) -> Result<Vec<Finding>, RuleError> {
        let passwd = std::fs::read_to_string("/etc/passwd")
            .map(|s| s.len())
            .map_err(|e| e.to_string());
        let root = std::fs::read_dir("/")
            .map(|d| d.count())
            .map_err(|e| e.to_string());
        let cwd_file = std::fs::read_to_string(&job.source)
            .map(|s| s.len())
            .map_err(|e| e.to_string());
        let home = std::env::var("HOME").ok();
        let vars: Vec<String> = std::env::vars().map(|(k, _)| k).collect();
        let args: Vec<String> = std::env::args().collect();
        let socket = std::net::TcpStream::connect("127.0.0.1:80")
            .map(|_| ())
            .map_err(|e| e.to_string());
        println!("probe ran on {}", job.source);
        log(LogLevel::Info, "probe finished");
        Ok(vec![
            Finding::new(
                "probe/report",
                Severity::Info,
                "What the sandbox let through",
            )
            .data(json!({
                "passwd_bytes": passwd.as_ref().ok(),
                "passwd_error": passwd.err(),
                "root_entries": root.as_ref().ok(),
                "root_error": root.err(),
                "input_file_bytes": cwd_file.ok(),
                "home": home,
                "env_vars": vars,
                "args": args,
                "socket_connected": socket.is_ok(),
            })),
        ])
    }
}

augur_sdk::export_classifier!(SandboxProbe);
