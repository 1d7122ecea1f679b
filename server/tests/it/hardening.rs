//! The server under hostile or careless clients: silent connections are closed, the connection
//! cap holds, a shutdown lets requests in flight finish, and `/healthz` answers.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::support::{in_process, spawn};

fn connect(base: &str) -> TcpStream {
    TcpStream::connect(base.trim_start_matches("http://")).expect("connects")
}

/// Reads until the server closes the connection (or `limit` passes): what it sent.
fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> std::io::Result<Vec<u8>> {
    stream.set_read_timeout(Some(limit))?;
    let mut got = Vec::new();
    match stream.read_to_end(&mut got) {
        Ok(_) => Ok(got),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => Ok(got),
        Err(e) => Err(e),
    }
}

#[test]
fn a_client_that_stops_halfway_through_its_headers_is_disconnected_after_the_idle_timeout() {
    let server = spawn(&["--idle-timeout", "1"]);
    let mut slow = connect(&server.base);
    let started = Instant::now();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ").expect("writes");
    let got = read_until_closed(&mut slow, Duration::from_secs(20))
        .expect("the server closes the connection instead of waiting for ever");
    assert!(started.elapsed() >= Duration::from_millis(900), "closed too early");
    assert!(got.is_empty() || String::from_utf8_lossy(&got).contains(" 408 "), "{got:?}");
    // A client that keeps talking is served as usual.
    let (status, _) = server.get("/healthz", &[]);
    assert!(status.contains(" 200 "), "{status}");
}

#[test]
fn connections_beyond_the_cap_wait_until_one_closes() {
    let server = spawn(&["--max-connections", "2"]);
    let first = connect(&server.base);
    let mut second = connect(&server.base);
    // Make sure both were accepted (the second answers).
    second.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").expect("writes");
    let mut buf = [0; 256];
    second.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let n = second.read(&mut buf).expect("the second connection is served");
    assert!(String::from_utf8_lossy(&buf[..n]).contains(" 200 "));
    let mut third = connect(&server.base);
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("writes");
    third.set_read_timeout(Some(Duration::from_millis(700))).expect("timeout");
    let waited = third.read(&mut buf);
    assert!(
        matches!(&waited, Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)),
        "the third connection was served beyond the cap: {waited:?}"
    );
    drop(first);
    let got =
        read_until_closed(&mut third, Duration::from_secs(20)).expect("served once a slot frees");
    assert!(String::from_utf8_lossy(&got).contains(" 200 "), "{}", String::from_utf8_lossy(&got));
}

#[test]
fn sigterm_lets_an_upload_in_flight_finish_then_stops() {
    let server = spawn(&[]);
    let (status, created) = server
        .send(
            "POST",
            "/v2/images",
            &[("X-Auth-Token", "bob-token"), ("Content-Type", "application/json")],
            br#"{"name": "in-flight", "disk_format": "raw", "container_format": "bare"}"#,
        )
        .expect("answers");
    assert!(status.contains(" 201 "), "{status}");
    let id = serde_json::from_str::<serde_json::Value>(&created).expect("json")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let mut upload = connect(&server.base);
    let head = format!(
        "PUT /v2/images/{id}/file HTTP/1.1\r\nHost: x\r\nX-Auth-Token: bob-token\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: 10\r\nConnection: close\r\n\r\nfirst"
    );
    upload.write_all(head.as_bytes()).expect("writes");
    std::thread::sleep(Duration::from_millis(300));
    let pid = server.pid().to_string();
    std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
    std::thread::sleep(Duration::from_millis(300));
    upload.write_all(b"-half").expect("the connection is still open after SIGTERM");
    let got = read_until_closed(&mut upload, Duration::from_secs(20)).expect("answered");
    let got = String::from_utf8_lossy(&got);
    assert!(got.starts_with("HTTP/1.1 204"), "the upload in flight finished: {got}");
    let exit = server.terminate();
    assert!(exit.success(), "{exit}");
}

#[tokio::test]
async fn healthz_answers_without_credentials() {
    let (cli, _) = in_process();
    let resp = cli.get("/healthz").send().await;
    resp.assert_status_is_ok();
    let body: serde_json::Value = resp.json().await.value().deserialize();
    assert_eq!(body, serde_json::json!({"status": "ok", "durable": false}));
}
