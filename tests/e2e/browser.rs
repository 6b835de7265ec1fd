//! The HTML report, opened in a real browser: headless Chromium (Debian's
//! `chromium` package; `AUGUR_CHROMIUM` names another binary), driven over
//! the DevTools protocol on a pipe (`--remote-debugging-pipe`: JSON
//! messages ended by a NUL byte, on file descriptors 3 and 4). The test
//! loads the page, listens to every console message, log entry, exception
//! and network request, reads the DOM, and takes a screenshot.

use std::{
    fs::File,
    io::{BufRead as _, BufReader, Write as _},
    os::{
        fd::{AsRawFd as _, FromRawFd as _, OwnedFd},
        unix::process::CommandExt as _,
    },
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

use base64::Engine as _;
use serde_json::{Value, json};

use crate::util::{augur, root};

/// How long one DevTools call may take before the test gives up.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// A pipe's two ends, as (read, write).
fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

/// `fd` copied to a descriptor above the ones the child is given, so that
/// moving it into place cannot overwrite another.
fn above_10(fd: &OwnedFd) -> OwnedFd {
    let copy = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 10) };
    assert!(copy >= 10);
    unsafe { OwnedFd::from_raw_fd(copy) }
}

struct Chromium {
    child: Child,
    commands: File,
    messages: mpsc::Receiver<Value>,
    next_id: u64,
    /// Every event received, in order, with its session.
    events: Vec<Value>,
    _profile: tempfile::TempDir,
}

impl Chromium {
    fn start() -> Chromium {
        let binary = std::env::var("AUGUR_CHROMIUM").unwrap_or_else(|_| "chromium".into());
        let profile = tempfile::tempdir().unwrap();
        let (their_in, our_out) = pipe();
        let (our_in, their_out) = pipe();
        let (their_in, their_out) = (above_10(&their_in), above_10(&their_out));
        let (read_fd, write_fd) = (their_in.as_raw_fd(), their_out.as_raw_fd());
        let mut command = Command::new(&binary);
        command
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--remote-debugging-pipe",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--window-size=1000,1400",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: between fork and exec, only dup2 (async-signal-safe).
        unsafe {
            command.pre_exec(move || {
                if libc::dup2(read_fd, 3) < 0 || libc::dup2(write_fd, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().unwrap_or_else(|e| {
            panic!(
                "cannot start `{binary}` ({e}): the HTML report is checked in headless Chromium; \
                 install Debian's `chromium` package (.ci/run does), or set AUGUR_CHROMIUM"
            )
        });
        drop((their_in, their_out));
        let (tx, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut from = BufReader::new(File::from(our_in));
            loop {
                let mut message = Vec::new();
                match from.read_until(0, &mut message) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {
                        message.pop();
                        let Ok(value) = serde_json::from_slice(&message) else {
                            continue;
                        };
                        if tx.send(value).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        Chromium {
            child,
            commands: File::from(our_out),
            messages,
            next_id: 0,
            events: Vec::new(),
            _profile: profile,
        }
    }

    /// Sends `method` (to `session`, or the browser) and waits for its
    /// result, keeping the events that arrive meanwhile.
    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        let mut bytes = serde_json::to_vec(&message).unwrap();
        bytes.push(0);
        self.commands.write_all(&bytes).unwrap();
        loop {
            let message = self
                .messages
                .recv_timeout(CALL_TIMEOUT)
                .unwrap_or_else(|e| panic!("Chromium did not answer {method}: {e}"));
            if message["id"] == id {
                if let Some(error) = message.get("error") {
                    panic!("{method}: {error}");
                }
                return message["result"].clone();
            }
            if message.get("method").is_some() {
                self.events.push(message);
            }
        }
    }

    /// Waits for the event `method` on `session`.
    fn wait_for(&mut self, session: &str, method: &str) {
        let seen = |e: &Value| e["method"] == method && e["sessionId"] == session;
        while !self.events.iter().any(seen) {
            let message = self
                .messages
                .recv_timeout(CALL_TIMEOUT)
                .unwrap_or_else(|e| panic!("no {method} from Chromium: {e}"));
            if message.get("method").is_some() {
                self.events.push(message);
            }
        }
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the browser made of a page.
struct Rendered {
    /// Console errors, uncaught exceptions and error log entries (a
    /// blocked load, a Content-Security-Policy violation).
    errors: Vec<String>,
    /// The URL of every request the page made.
    requests: Vec<String>,
    /// Answers to the probes, in order.
    answers: Vec<Value>,
    dom: String,
    screenshot: Vec<u8>,
}

/// A window: width and height in CSS pixels, and whether it is a phone's.
struct Viewport(u32, u32, bool);

const DESKTOP: Viewport = Viewport(1000, 1400, false);
const PHONE: Viewport = Viewport(390, 844, true);

/// Opens `page` in headless Chromium in a `viewport`, and evaluates each
/// of `probes` (JavaScript expressions) in it.
fn open(page: &Path, viewport: Viewport, probes: &[&str]) -> Rendered {
    let mut browser = Chromium::start();
    let target = browser.call(None, "Target.createTarget", json!({"url": "about:blank"}));
    let attached = browser.call(
        None,
        "Target.attachToTarget",
        json!({"targetId": target["targetId"], "flatten": true}),
    );
    let session = attached["sessionId"].as_str().unwrap().to_owned();
    let s = Some(session.as_str());
    for domain in ["Page", "Runtime", "Log", "Network"] {
        browser.call(s, &format!("{domain}.enable"), json!({}));
    }
    browser.call(
        s,
        "Emulation.setDeviceMetricsOverride",
        json!({"width": viewport.0, "height": viewport.1, "deviceScaleFactor": 1, "mobile": viewport.2}),
    );
    let url = format!("file://{}", page.display());
    let navigated = browser.call(s, "Page.navigate", json!({"url": url}));
    assert!(navigated.get("errorText").is_none(), "{navigated}");
    browser.wait_for(&session, "Page.loadEventFired");
    let answers = probes
        .iter()
        .map(|expression| {
            let result = browser.call(
                s,
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true}),
            );
            assert!(
                result.get("exceptionDetails").is_none(),
                "{expression}: {result}"
            );
            result["result"]["value"].clone()
        })
        .collect();
    let dom = browser.call(
        s,
        "Runtime.evaluate",
        json!({"expression": "document.documentElement.outerHTML", "returnByValue": true}),
    )["result"]["value"]
        .as_str()
        .unwrap()
        .to_owned();
    let shot = browser.call(s, "Page.captureScreenshot", json!({"format": "png"}));
    let screenshot = base64::engine::general_purpose::STANDARD
        .decode(shot["data"].as_str().unwrap())
        .unwrap();
    // Events sent before the last answer are in; the page is idle by now.
    let mut errors = Vec::new();
    let mut requests = Vec::new();
    for e in browser.events.iter().filter(|e| e["sessionId"] == session) {
        let p = &e["params"];
        match e["method"].as_str().unwrap_or("") {
            "Runtime.consoleAPICalled"
                if matches!(p["type"].as_str(), Some("error" | "assert")) =>
            {
                errors.push(format!("console: {}", p["args"]))
            }
            "Runtime.exceptionThrown" => {
                errors.push(format!("exception: {}", p["exceptionDetails"]))
            }
            "Log.entryAdded" if p["entry"]["level"] == "error" => {
                errors.push(format!("log: {}", p["entry"]["text"]))
            }
            "Network.requestWillBeSent" => {
                requests.push(p["request"]["url"].as_str().unwrap_or("").to_owned())
            }
            "Network.loadingFailed" => errors.push(format!("load failed: {p}")),
            _ => {}
        }
    }
    Rendered {
        errors,
        requests,
        answers,
        dom,
        screenshot,
    }
}

/// The share of a PNG's pixels that are not the page's white background,
/// and how many colours it has.
fn ink(png_bytes: &[u8]) -> (f64, usize) {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(channels).collect();
    let inked = pixels.iter().filter(|p| p[..3] != [255, 255, 255]).count();
    let colours: std::collections::HashSet<&[u8]> = pixels.iter().copied().collect();
    (inked as f64 / pixels.len() as f64, colours.len())
}

/// Where the test keeps what the browser saw, for a person to look at.
fn kept(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// The examples' HTML report with `extra` arguments, written in `dir`; the
/// run exits `status`.
fn examples_page(dir: &Path, extra: &[&str], status: i32) -> PathBuf {
    let page = dir.join("report.html");
    let mut args = vec![
        "run",
        "--pack",
        "builtin",
        "--snapshots",
        "examples/snapshots",
        "--jobs",
        "examples/jobs",
        "--now",
        "2026-11-20T14:00:00Z",
        "--format",
        "html",
        "--output",
        page.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = augur(&args);
    assert_eq!(out.status, status, "{}", out.stderr);
    page
}

#[test]
fn the_html_report_renders_in_chromium_with_nothing_loaded_from_elsewhere() {
    // The examples, and a job whose log carries markup and escape sequences,
    // in a folder whose name carries some too.
    let dir = tempfile::tempdir().unwrap();
    let evil = dir.path().join("jobs/evil\x1b]0;title\x07");
    std::fs::create_dir_all(&evil).unwrap();
    std::fs::write(
        evil.join("output.log"),
        "$ npm install\nnpm ERR! code E404\n<script>document.title='pwned'</script> \
         <img src=x onerror=alert(1)> \x1b]0;pwned\x07\x1b[31mred\x1b[0m\n\
         npm ERR! 404 Not Found - GET https://registry.npmjs.org/left-padd - Not found\n",
    )
    .unwrap();
    std::fs::write(
        evil.join("meta.json"),
        r#"{"repo": "acme/api", "exit_code": 1}"#,
    )
    .unwrap();
    let jobs = dir.path().join("jobs");
    let page = examples_page(
        dir.path(),
        &["--jobs", jobs.to_str().unwrap(), "--fail-on", "high"],
        // The failed npm install is a high finding: the gate fails.
        1,
    );

    let snapshots = |repo: &str| {
        std::fs::read_dir(root().join("examples/snapshots").join(repo))
            .unwrap()
            .count()
    };
    let rendered = open(
        &page,
        DESKTOP,
        &[
            // Points per plot of each repository, by metric and line.
            r#"JSON.stringify([...document.querySelectorAll('article.repo')].map(a => ({
                repo: a.dataset.repo,
                plots: [...a.querySelectorAll('svg.plot')].map(svg => ({
                    metric: svg.dataset.metric,
                    width: svg.getBoundingClientRect().width,
                    lines: [0, 1].map(n => svg.querySelectorAll(`circle.pt[data-line="${n}"]`).length),
                    thresholds: svg.querySelectorAll('line.threshold').length,
                    marks: svg.querySelectorAll('circle.mark').length,
                })),
            })))"#,
            "document.scripts.length + document.querySelectorAll('img, iframe, object, embed').length",
            "document.title",
            "document.body.innerText",
            "document.querySelectorAll('article.job').length",
            "document.body.scrollWidth <= window.innerWidth",
        ],
    );
    std::fs::write(kept("html-report.png"), &rendered.screenshot).unwrap();
    std::fs::write(kept("html-report.dom.html"), &rendered.dom).unwrap();

    assert!(rendered.errors.is_empty(), "{:#?}", rendered.errors);
    let page_url = format!("file://{}", page.display());
    let elsewhere: Vec<&String> = rendered
        .requests
        .iter()
        .filter(|u| **u != page_url)
        .collect();
    assert!(
        elsewhere.is_empty(),
        "requests left the file: {elsewhere:?}"
    );

    let repos: Value = serde_json::from_str(rendered.answers[0].as_str().unwrap()).unwrap();
    let repos = repos.as_array().unwrap();
    assert_eq!(repos.len(), 2, "{repos:#?}");
    for repo in repos {
        // A plot per signal the repository's snapshots carry.
        let (folder, signals): (_, &[&str]) = match repo["repo"].as_str().unwrap() {
            "acme/api" => ("acme-api", &["lint", "types", "coverage", "proposals"]),
            "acme/web" => ("acme-web", &["lint", "types"]),
            other => panic!("unexpected repository {other}"),
        };
        let n = snapshots(folder);
        let plots = repo["plots"].as_array().unwrap();
        let metrics: Vec<&str> = plots
            .iter()
            .map(|p| p["metric"].as_str().unwrap())
            .collect();
        assert_eq!(metrics, signals, "{repo:#}");
        for plot in plots {
            assert!(plot["width"].as_f64().unwrap() > 100.0, "{plot}");
            let lines = if plot["metric"] == "proposals" { 2 } else { 1 };
            for line in 0..lines {
                assert_eq!(plot["lines"][line], n, "one point per snapshot: {repo:#}");
            }
        }
        if folder == "acme-api" {
            // The rising lint count: quality-trend's band, and the first and
            // last snapshots its finding (and theme-aggregation's) cite;
            // coverage-gap's least coverage.
            let lint = &plots[0];
            assert_eq!(
                (lint["thresholds"].as_u64(), lint["marks"].as_u64()),
                (Some(2), Some(2))
            );
            assert_eq!(plots[2]["thresholds"], 1, "{repo:#}");
        }
    }
    assert_eq!(
        rendered.answers[1], 0,
        "no script, image or frame in the page"
    );
    assert_eq!(rendered.answers[2], "augur report", "no script ran");
    let text = rendered.answers[3].as_str().unwrap();
    assert!(
        text.contains("<script>document.title='pwned'</script>"),
        "the log's markup shows as text"
    );
    assert!(text.contains("<img src=x onerror=alert(1)>"));
    // The log's context lines are cleaned of terminal sequences (the OSC
    // title and the colour are dropped, the text stays); a name shows them
    // escaped.
    assert!(text.contains("onerror=alert(1)> red\n"), "{text}");
    assert!(
        text.contains("jobs/evil\\x1b]0;title\\x07/output.log"),
        "{text}"
    );
    assert!(!text.contains('\x1b') && !text.contains('\x07'));
    assert!(
        text.contains("The gate fails: 1 finding at or above high"),
        "{text}"
    );
    assert_eq!(rendered.answers[4], 3, "a context report per failed job");
    assert_eq!(rendered.answers[5], true, "nothing wider than the window");

    let (inked, colours) = ink(&rendered.screenshot);
    assert!(
        inked > 0.03 && colours > 16,
        "the screenshot looks blank: {:.1}% inked, {colours} colours ({})",
        inked * 100.0,
        kept("html-report.png").display()
    );
}

#[test]
fn the_html_report_fits_a_phone() {
    let dir = tempfile::tempdir().unwrap();
    let page = examples_page(dir.path(), &[], 0);
    let rendered = open(
        &page,
        PHONE,
        &["[document.documentElement.scrollWidth, window.innerWidth, \
           Math.max(...[...document.querySelectorAll('svg.plot')].map(p => p.getBoundingClientRect().right))]"],
    );
    assert!(rendered.errors.is_empty(), "{:#?}", rendered.errors);
    let v = &rendered.answers[0];
    let (page_width, window, plots_right) = (
        v[0].as_f64().unwrap(),
        v[1].as_f64().unwrap(),
        v[2].as_f64().unwrap(),
    );
    assert!(
        page_width <= window && plots_right <= window,
        "on a {window} px phone the page is {page_width} px wide, its plots end at {plots_right} px"
    );
}
