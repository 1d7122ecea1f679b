//! The CLI's contract: documented exit codes, and exit 2 (never a panic) when a run cannot be done;
//! report files (JUnit, replay) against a tiny loopback target, and replaying one of them.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::{Arc, Mutex};

fn cli(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_imagespec-conformance"))
        .args(args)
        .output()
        .expect("runs");
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

#[test]
fn help_documents_the_exit_codes() {
    let (code, text) = cli(&["--help"]);
    assert_eq!(code, Some(0));
    assert!(
        text.contains("Exit codes: 0 conformant") && text.contains("2 the run could not be done"),
        "{text}"
    );
}

#[test]
fn runs_that_cannot_be_done_exit_2() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    let closed = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    for args in [
        vec!["--base-url", closed.as_str(), "--token", "cce=t"],
        vec!["--base-url", closed.as_str(), "--family", "nope"],
        vec!["--base-url", closed.as_str(), "--token", "no-equals-sign"],
        vec!["--family", "cce"],
    ] {
        let (code, text) = cli(&args);
        assert_eq!(code, Some(2), "{args:?}: {text}");
        assert!(!text.contains("panicked"), "{text}");
    }
}

#[test]
fn junit_and_replay_files_are_written_and_a_replay_resends_the_request() {
    let (base, seen) = broken_target();
    let dir = tempfile::tempdir().expect("temp dir");
    let (junit, replays) = (dir.path().join("report.xml"), dir.path().join("replays"));
    let out = cli_output(&[
        "--base-url",
        &base,
        "--token",
        "cce=t",
        "--fuzz-cases",
        "0",
        "--junit",
        &junit.to_string_lossy(),
        "--replay-dir",
        &replays.to_string_lossy(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("  FAIL  C100"), "{stdout}");
    assert!(out.stderr.is_empty(), "no progress line off a terminal: {:?}", out.stderr);

    let xml = std::fs::read_to_string(&junit).expect("the JUnit file is written");
    assert!(xml.contains(r#"<testsuite name="cce""#), "one suite per family: {xml}");
    assert!(xml.contains(r#"<testcase name="C100""#) && xml.contains("<failure"), "{xml}");

    let mut names: Vec<String> = std::fs::read_dir(&replays)
        .expect("the replay dir is written")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let findings = stdout.lines().filter(|l| l.starts_with("violation ")).count();
    assert!(names.contains(&"C100-1.json".to_owned()), "{names:?}");
    assert_eq!(names.len(), findings, "one file per finding: {names:?}\n{stdout}");

    let file = replays.join("C100-1.json");
    let case: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("reads")).expect("JSON");
    assert_eq!((case["check"].as_str(), case["seed"].as_u64()), (Some("C100"), Some(1)));
    assert_eq!(case["base_url"].as_str(), Some(base.as_str()));
    let request = &case["request"];
    let sent = format!(
        "{} {} HTTP/1.1 {}",
        request["method"].as_str().unwrap_or_default(),
        request["target"].as_str().unwrap_or_default(),
        request["body"].as_str().unwrap_or_default()
    );
    let (code, text) = cli(&["--replay", &file.to_string_lossy()]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("HTTP 500") && text.contains(BOOM), "{text}");
    assert_eq!(lock(&seen).last(), Some(&sent), "the replay sends the file's request");
}

#[test]
fn a_replay_that_gets_no_answer_exits_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("C100-1.json");
    let case = serde_json::json!({
        "check": "C100", "operation": "GET /", "message": "m", "warning": false, "seed": 1,
        "base_url": closed_port(),
        "request": {"method": "GET", "target": "/", "headers": [], "body": ""},
    });
    std::fs::write(&file, case.to_string()).expect("writes");
    for args in [vec!["--replay", &*file.to_string_lossy()], vec!["--replay", "/no/such/file.json"]]
    {
        let (code, text) = cli(&args);
        assert_eq!(code, Some(2), "{args:?}: {text}");
        assert!(!text.contains("panicked"), "{text}");
    }
}

const BOOM: &str = r#"{"error":"boom"}"#;

fn cli_output(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_imagespec-conformance")).args(args).output().expect("runs")
}

fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
    format!("http://{}", listener.local_addr().expect("addr"))
}

type Seen = Arc<Mutex<Vec<String>>>;

fn lock(seen: &Seen) -> std::sync::MutexGuard<'_, Vec<String>> {
    seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A loopback target that answers every request with a JSON 500 and records each request's
/// line and body; it serves at most 256 connections.
fn broken_target() -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = Seen::default();
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming().take(256).flatten() {
            if let Some(request) = answer(stream) {
                lock(&log).push(request);
            }
        }
    });
    (base, seen)
}

fn answer(mut stream: TcpStream) -> Option<String> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        match header.split_once(':') {
            Some((k, v)) if k.eq_ignore_ascii_case("content-length") => {
                length = v.trim().parse().ok()?
            }
            Some(_) => {}
            None => break,
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let head = format!(
        "HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        BOOM.len()
    );
    stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(BOOM.as_bytes())).ok()?;
    Some(format!("{} {}", line.trim_end(), String::from_utf8_lossy(&body)))
}

#[test]
fn help_documents_the_fuzzing_budget() {
    let (code, text) = cli(&["--help"]);
    assert_eq!(code, Some(0));
    for flag in ["--fuzz-cases <N>", "--fuzz-seconds <S>", "--fuzz-only"] {
        assert!(text.contains(flag), "{flag} is not documented:\n{text}");
    }
}

/// A loopback target that answers every connection with `reply` (after reading the request
/// head), or never answers when `reply` is `None`. Serves at most 64 connections.
fn hostile_target(reply: Option<Vec<u8>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
    let addr = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming().take(64).flatten() {
            let reply = reply.clone();
            std::thread::spawn(move || {
                let mut stream = stream;
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                match reply {
                    Some(bytes) => {
                        let _ = stream.write_all(&bytes);
                    }
                    None => std::thread::sleep(std::time::Duration::from_secs(30)),
                }
            });
        }
    });
    addr
}

#[test]
fn hostile_targets_end_the_run_with_exit_2_and_a_message() {
    let mut huge =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 33554432\r\n\r\n"
            .to_vec();
    huge.resize(huge.len() + (32 << 20), b' ');
    let cases: [(&str, Option<Vec<u8>>); 3] = [
        ("garbage instead of HTTP", Some(b"\x00\x01 this is not HTTP at all\r\n\r\n".to_vec())),
        ("a target that never answers", None),
        ("a 32 MiB body", Some(huge)),
    ];
    for (what, reply) in cases {
        let base = hostile_target(reply);
        let started = std::time::Instant::now();
        let (code, text) = cli(&[
            "--base-url",
            &base,
            "--family",
            "cce",
            "--token",
            "cce=t",
            "--timeout",
            "2",
            "--fuzz-cases",
            "0",
        ]);
        assert_eq!(code, Some(2), "{what}: {text}");
        assert!(text.contains("error:") && !text.contains("panicked"), "{what}: {text}");
        assert!(started.elapsed().as_secs() < 20, "{what}: took {:?}", started.elapsed());
    }
}

#[test]
fn a_config_file_supplies_the_options_and_flags_override_it() {
    let (base, _seen) = broken_target();
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("imagespec.toml");
    let text = format!(
        "base_url = \"{base}\"\nfamily = [\"cce\"]\ntoken = [\"cce=t\"]\nfuzz_cases = 0\nformat = \"json\"\n"
    );
    std::fs::write(&config, text).expect("writes");
    let path = config.to_str().expect("utf-8");
    let from_file = cli_output(&["--config", path]);
    let stdout = String::from_utf8_lossy(&from_file.stdout);
    assert_eq!(from_file.status.code(), Some(1), "the target answers 500: {stdout}");
    assert!(stdout.trim_start().starts_with('{'), "format from the file: {stdout}");
    let overridden = cli_output(&["--config", path, "--format", "text"]);
    let stdout = String::from_utf8_lossy(&overridden.stdout);
    assert!(stdout.contains(" checks, ") && !stdout.trim_start().starts_with('{'), "{stdout}");
    let missing = cli_output(&["--config", "/nonexistent/imagespec.toml"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("reading /nonexistent"));
}

/// A loopback HTTPS target with a throwaway self-signed certificate for 127.0.0.1, made here;
/// it answers every request like [`broken_target`] (a JSON 500). Returns its base URL and the
/// certificate as PEM. Serves at most 256 connections.
fn tls_target() -> (String, String) {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).expect("a cert");
    let pem = made.cert.pem();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(made.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(vec![made.cert.der().clone()], key)
        .expect("a server config");
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
    let base = format!("https://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming().take(256).flatten() {
            let Ok(conn) = rustls::ServerConnection::new(Arc::clone(&config)) else { continue };
            let mut tls = rustls::StreamOwned::new(conn, stream);
            let _ = answer_on(&mut tls);
        }
    });
    (base, pem)
}

/// [`answer`] on any stream: reads one request, answers a JSON 500.
fn answer_on(stream: &mut (impl Read + Write)) -> Option<()> {
    let mut reader = BufReader::new(&mut *stream);
    let mut length = 0;
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        match header.split_once(':') {
            Some((k, v)) if k.eq_ignore_ascii_case("content-length") => {
                length = v.trim().parse().ok()?
            }
            Some(_) => {}
            None => break,
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    drop(reader);
    let head = format!(
        "HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        BOOM.len()
    );
    stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(BOOM.as_bytes())).ok()?;
    stream.flush().ok()
}

#[test]
fn an_untrusted_certificate_ends_the_run_with_exit_2_unless_trusted() {
    let (base, pem) = tls_target();
    let run = |extra: &[&str]| {
        let mut args = vec!["--base-url", &base, "--token", "cce=t", "--fuzz-cases", "0"];
        args.extend_from_slice(extra);
        cli(&args)
    };
    let (code, text) = run(&[]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("TLS") && text.contains("certificate"), "names the TLS problem: {text}");
    assert!(text.contains("--ca-cert") && !text.contains("panicked"), "{text}");

    let dir = tempfile::tempdir().expect("temp dir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &pem).expect("writes");
    let ca = ca.to_string_lossy();
    for extra in [vec!["--ca-cert", &*ca], vec!["--insecure"]] {
        let (code, text) = run(&extra);
        assert_eq!(code, Some(1), "{extra:?}: the target answers (500s): {text}");
        assert!(text.contains("  FAIL  C100"), "{extra:?}: {text}");
    }
    let (code, text) = run(&["--ca-cert", "/no/such/ca.pem"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("reading the CA file /no/such/ca.pem"), "{text}");
}

#[test]
fn help_documents_concurrency_and_tls_options() {
    let (code, text) = cli(&["--help"]);
    assert_eq!(code, Some(0));
    for flag in ["--concurrency <N>", "--ca-cert <FILE>", "--insecure"] {
        assert!(text.contains(flag), "{flag} is not documented:\n{text}");
    }
}

#[test]
fn specs_given_on_the_command_line_are_loaded_or_refused_with_exit_2() {
    let dir = std::env::temp_dir().join(format!("imagespec-specs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).expect("writes");
        p.display().to_string()
    };
    let garbage = write("garbage.yaml", "{{ not: [yaml");
    let swagger =
        write("swagger.yaml", "swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n");
    let external = write(
        "external.yaml",
        "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema:\n                $ref: 'common.yaml#/components/schemas/X'\n",
    );
    let missing = dir.join("missing.yaml").display().to_string();
    let base = closed_port();
    for (file, expected) in [
        (missing.as_str(), "cannot read the cce spec"),
        (garbage.as_str(), "not YAML or JSON"),
        (swagger.as_str(), "not an OpenAPI 3.0 or 3.1 document"),
        (external.as_str(), "points outside the document"),
    ] {
        let spec = format!("cce={file}");
        let (code, text) = cli(&["--base-url", &base, "--family", "cce", "--spec", &spec]);
        assert_eq!(code, Some(2), "{file}: {text}");
        assert!(text.contains(expected) && !text.contains("panicked"), "{file}: {text}");
    }
    let (code, text) = cli(&["--base-url", &base, "--spec", "nope=x.yaml"]);
    assert_eq!(code, Some(2), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_check_pattern_that_matches_no_check_id_is_a_usage_error() {
    let base = closed_port();
    // The last one is an id, of a family this run (CCE, the default) does not test.
    for pattern in ["C1O4", "SWR-S1*x", "GLANCE-S99", "swr-*", "SWR-S01"] {
        let (code, text) = cli(&["--base-url", &base, "--check", "C104", "--check", pattern]);
        assert_eq!(code, Some(2), "{pattern}: {text}");
        assert!(text.contains(&format!("`{pattern}`")), "names the pattern: {text}");
        assert!(text.contains("families tested (cce)"), "{text}");
        assert!(text.contains("docs/checks.md") && !text.contains("`C104`"), "{text}");
    }
}

#[test]
fn check_patterns_that_match_an_id_still_select_checks() {
    let (base, _seen) = broken_target();
    for (pattern, failed) in
        [("C100", "C100"), ("C10*", "C100"), ("*", "C100"), ("CCE-*", "CCE-S01")]
    {
        let (code, text) = cli(&[
            "--base-url",
            &base,
            "--token",
            "cce=t",
            "--fuzz-cases",
            "0",
            "--check",
            pattern,
        ]);
        assert_eq!(code, Some(1), "{pattern}: the target answers 500: {text}");
        assert!(text.contains(&format!("  FAIL  {failed}")), "{pattern}: {text}");
    }
}

#[test]
fn an_swr_source_without_namespace_and_repository_is_a_usage_error() {
    let (base, _seen) = broken_target();
    let region = format!("cn-east-3={base}");
    for source in ["nginx", "/nginx", "demo/", "demo//nginx", "demo/library/"] {
        let (code, text) = cli(&[
            "--base-url",
            &base,
            "--family",
            "swr",
            "--fuzz-cases",
            "0",
            "--check",
            "SWR-S06",
            "--swr-region",
            &region,
            "--swr-source",
            source,
        ]);
        assert_eq!(code, Some(2), "{source}: {text}");
        assert!(text.contains("NAMESPACE/REPO") && text.contains(source), "{source}: {text}");
    }
    let (code, text) = cli(&[
        "--base-url",
        &base,
        "--family",
        "swr",
        "--fuzz-cases",
        "0",
        "--check",
        "SWR-S06",
        "--swr-region",
        &region,
        "--swr-source",
        "demo/library/nginx",
    ]);
    assert_eq!(code, Some(0), "a repository with a `/` is a valid source: {text}");
}

#[test]
fn an_swr_source_without_a_region_is_a_usage_error() {
    let (base, _seen) = broken_target();
    let (code, text) = cli(&[
        "--base-url",
        &base,
        "--family",
        "swr",
        "--fuzz-cases",
        "0",
        "--check",
        "SWR-S06",
        "--swr-source",
        "demo/library/nginx",
    ]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("--swr-region"), "names the missing option: {text}");
}

#[test]
fn an_swr_region_without_a_source_is_a_usage_error() {
    let (base, _seen) = broken_target();
    let region = format!("cn-east-3={base}");
    let (code, text) = cli(&[
        "--base-url",
        &base,
        "--family",
        "swr",
        "--fuzz-cases",
        "0",
        "--check",
        "SWR-S06",
        "--swr-region",
        &region,
    ]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("--swr-source"), "names the missing option: {text}");
}
