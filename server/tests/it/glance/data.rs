//! Image data: upload with hashes computed while streaming, download with `Content-MD5` and
//! single ranges, format inspection, and a 2 GiB upload that must not grow the server's memory
//! (reference §3.5, §3.6 and checklist item 14).

use md5::{Digest, Md5};
use poem::http::Method;
use serde_json::json;
use sha2::Sha512;

use super::*;

fn noise(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (x >> 24) as u8
        })
        .collect()
}

#[tokio::test]
async fn upload_computes_hashes_and_download_returns_the_bytes() {
    let g = glance();
    let id = g.image(BOB, json!({})).await;
    let file = format!("/v2/images/{id}/file");
    let empty = g.get(&file, BOB).await;
    assert_eq!((empty.status, empty.bytes.len()), (204, 0), "no data yet: 204");
    let data = noise(300_000);
    let up = g.upload(&id, BOB, &data).await;
    assert_eq!(up.status, 204, "{up:#?}");
    let image = g.get(&format!("/v2/images/{id}"), BOB).await.body;
    let md5 = hex::encode(Md5::digest(&data));
    assert_eq!(image["status"], "active");
    assert_eq!(
        (image["size"].as_u64(), image["virtual_size"].as_u64()),
        (Some(300_000), Some(300_000))
    );
    assert_eq!(image["checksum"], md5.as_str());
    assert_eq!(image["os_hash_algo"], "sha512");
    assert_eq!(image["os_hash_value"], hex::encode(Sha512::digest(&data)).as_str());
    let down = g.get(&file, BOB).await;
    assert_eq!(down.status, 200);
    assert_eq!(down.header("content-type"), Some("application/octet-stream"));
    assert_eq!(down.header("content-md5"), Some(md5.as_str()));
    assert_eq!(down.header("content-length"), Some("300000"));
    assert!(down.bytes == data, "the downloaded bytes are the uploaded ones");
    g.upload(&id, BOB, b"again").await.assert_error(409);
    let public = g.image(ALICE, json!({"visibility": "public"})).await;
    g.upload(&public, ALICE, b"public bytes").await;
    let other = g.get(&format!("/v2/images/{public}/file"), CAROL).await;
    assert_eq!((other.status, other.bytes.as_slice()), (200, &b"public bytes"[..]));
}

#[tokio::test]
async fn single_ranges_give_206() {
    let g = glance();
    let id = g.image(BOB, json!({})).await;
    let data = noise(1000);
    g.upload(&id, BOB, &data).await;
    let file = format!("/v2/images/{id}/file");
    let md5 = hex::encode(Md5::digest(&data));
    let range = |r: &'static str| {
        let file = file.clone();
        let g = &g;
        async move { g.call(Method::GET, &file, Some(BOB), &[("Range", r)], Vec::new()).await }
    };
    let r = range("bytes=10-19").await;
    assert_eq!((r.status, r.bytes.as_slice()), (206, &data[10..20]));
    assert_eq!(r.header("content-range"), Some("bytes 10-19/1000"));
    assert_eq!(r.header("content-md5"), Some(md5.as_str()), "the whole image's md5");
    let r = range("bytes=990-5000").await;
    assert_eq!((r.status, r.bytes.as_slice()), (206, &data[990..]), "the end is clamped");
    let r = range("bytes=-5").await;
    assert_eq!((r.status, r.bytes.as_slice()), (206, &data[995..]));
    let r = range("bytes=900-").await;
    assert_eq!(r.bytes.as_slice(), &data[900..]);
    range("bytes=1000-").await.assert_error(416);
    range("bytes=x-y").await.assert_error(416);
    range("bytes=0-1,5-6").await.assert_error(400);
    let legacy = g
        .call(Method::GET, &file, Some(BOB), &[("Content-Range", "bytes 0-3/1000")], Vec::new())
        .await;
    assert_eq!((legacy.status, legacy.bytes.as_slice()), (206, &data[..4]));
}

#[tokio::test]
async fn refused_uploads_leave_the_image_queued_without_data() {
    let g = glance();
    let qcow = g.image(BOB, json!({"disk_format": "qcow2"})).await;
    g.upload(&qcow, BOB, &noise(4096)).await.assert_error(415);
    let after = g.get(&format!("/v2/images/{qcow}"), BOB).await.body;
    assert_eq!(
        (after["status"].as_str(), after["checksum"].is_null(), after["size"].is_null()),
        (Some("queued"), true, true)
    );
    assert_eq!(g.get(&format!("/v2/images/{qcow}/file"), BOB).await.status, 204);
    let mut header = b"QFI\xfb\0\0\0\x03".to_vec();
    header.extend_from_slice(&[0u8; 16]);
    header.extend_from_slice(&(1u64 << 30).to_be_bytes());
    header.resize(4096, 0);
    assert_eq!(g.upload(&qcow, BOB, &header).await.status, 204, "a real qcow2 header is accepted");
    let image = g.get(&format!("/v2/images/{qcow}"), BOB).await.body;
    assert_eq!(
        (image["size"].as_u64(), image["virtual_size"].as_u64()),
        (Some(4096), Some(1 << 30))
    );

    let raw_into_ami = g.image(BOB, json!({"disk_format": "ami", "container_format": "ami"})).await;
    assert_eq!(g.upload(&raw_into_ami, BOB, &noise(100)).await.status, 204, "ami is not inspected");
    let ami = g.get(&format!("/v2/images/{raw_into_ami}"), BOB).await.body;
    assert!(ami["virtual_size"].is_null(), "no virtual size for non-inspectable formats: {ami}");

    let bare = g.create(BOB, json!({})).await.id();
    g.upload(&bare, BOB, b"x").await.assert_error(400);
    let only_disk = g.create(BOB, json!({"disk_format": "raw"})).await.id();
    g.upload(&only_disk, BOB, b"x").await.assert_error(400);

    let id = g.image(BOB, json!({})).await;
    let uri = format!("/v2/images/{id}/file");
    let wrong_type = [("Content-Type", "text/plain")];
    g.call(Method::PUT, &uri, Some(BOB), &wrong_type, b"x".to_vec()).await.assert_error(415);
    let announced = [("Content-Type", "application/octet-stream"), ("x-openstack-image-size", "5")];
    g.call(Method::PUT, &uri, Some(BOB), &announced, b"abc".to_vec()).await.assert_error(400);
    let still = g.get(&format!("/v2/images/{id}"), BOB).await.body;
    assert_eq!((still["status"].as_str(), still["size"].is_null()), (Some("queued"), true));
    let matching = [("Content-Type", "application/octet-stream"), ("x-openstack-image-size", "3")];
    assert_eq!(g.call(Method::PUT, &uri, Some(BOB), &matching, b"abc".to_vec()).await.status, 204);
}

#[tokio::test]
async fn uploads_need_write_access() {
    let g = glance();
    let id = g.image(BOB, json!({})).await;
    g.upload(&id, CAROL, b"x").await.assert_error(404);
    g.upload(&id, DAVE, b"x").await.assert_error(403);
    let public = g.image(ALICE, json!({"visibility": "public"})).await;
    g.upload(&public, BOB, b"x").await.assert_error(403);
}

/// Resident memory of a process, in KiB, from /proc.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("procfs");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

#[test]
fn a_two_gib_upload_streams_to_disk() {
    use std::io::{BufRead, BufReader, Read, Write};
    const SIZE: u64 = 2 << 30;
    let data_dir = tempfile::tempdir().expect("temp dir");
    let server = crate::support::spawn(&["--data-dir", data_dir.path().to_str().expect("utf-8")]);
    let addr = server.base.trim_start_matches("http://").to_owned();
    let request = |head: String, body: &mut dyn FnMut(&mut std::net::TcpStream)| {
        let mut s = std::net::TcpStream::connect(&addr).expect("connects");
        s.write_all(head.as_bytes()).expect("writes");
        body(&mut s);
        let mut reader = BufReader::new(s);
        let mut status = String::new();
        reader.read_line(&mut status).expect("status line");
        let mut rest = String::new();
        let _ = reader.read_to_string(&mut rest);
        (status, rest)
    };
    let create = r#"{"name": "big", "disk_format": "raw", "container_format": "bare"}"#;
    let (status, rest) = request(
        format!(
            "POST /v2/images HTTP/1.1\r\nHost: {addr}\r\nX-Auth-Token: {BOB}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{create}",
            create.len()
        ),
        &mut |_| {},
    );
    assert!(status.contains(" 201 "), "{status}{rest}");
    let id =
        rest.split("\"id\":\"").nth(1).and_then(|s| s.split('"').next()).expect("an id").to_owned();
    let pid = server.pid();
    let before = rss_kib(pid);
    let mut peak = before;
    let (status, rest) = request(
        format!(
            "PUT /v2/images/{id}/file HTTP/1.1\r\nHost: {addr}\r\nX-Auth-Token: {BOB}\r\nContent-Type: application/octet-stream\r\nContent-Length: {SIZE}\r\nConnection: close\r\n\r\n"
        ),
        &mut |s| {
            let chunk = vec![0x5au8; 1 << 20];
            for i in 0..(SIZE >> 20) {
                s.write_all(&chunk).expect("the server keeps reading");
                if i % 64 == 0 {
                    peak = peak.max(rss_kib(pid));
                }
            }
        },
    );
    assert!(status.contains(" 204 "), "{status}{rest}");
    peak = peak.max(rss_kib(pid));
    let grown_mib = peak.saturating_sub(before) / 1024;
    assert!(grown_mib < 64, "resident memory grew by {grown_mib} MiB during a 2 GiB upload");
    let stored = std::fs::metadata(data_dir.path().join(&id)).expect("the data file").len();
    assert_eq!(stored, SIZE);
    let (status, body) = request(
        format!(
            "GET /v2/images/{id} HTTP/1.1\r\nHost: {addr}\r\nX-Auth-Token: {BOB}\r\nConnection: close\r\n\r\n"
        ),
        &mut |_| {},
    );
    assert!(status.contains(" 200 ") && body.contains(&format!("\"size\":{SIZE}")), "{body}");
}

#[test]
fn an_upload_cut_off_mid_body_leaves_the_image_queued_and_no_file() {
    use std::io::{Read, Write};
    let data_dir = tempfile::tempdir().expect("temp dir");
    let server = crate::support::spawn(&["--data-dir", data_dir.path().to_str().expect("utf-8")]);
    let addr = server.base.trim_start_matches("http://").to_owned();
    let send = |head: String, body: &[u8]| {
        let mut s = std::net::TcpStream::connect(&addr).expect("connects");
        s.write_all(head.as_bytes()).expect("writes");
        s.write_all(body).expect("writes");
        s
    };
    let create = r#"{"name": "abandoned", "disk_format": "raw", "container_format": "bare"}"#;
    let mut s = send(
        format!(
            "POST /v2/images HTTP/1.1\r\nHost: {addr}\r\nX-Auth-Token: {BOB}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            create.len()
        ),
        create.as_bytes(),
    );
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("reads");
    let id = answer
        .split("\"id\":\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("an id")
        .to_owned();
    // 3 MiB of an announced 64 MiB, then the client stops sending and waits for the answer,
    // which comes only once the upload is settled.
    let mut s = send(
        format!(
            "PUT /v2/images/{id}/file HTTP/1.1\r\nHost: {addr}\r\nX-Auth-Token: {BOB}\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
            64 << 20
        ),
        &vec![7u8; 3 << 20],
    );
    s.shutdown(std::net::Shutdown::Write).expect("closes its sending side");
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "a cut-off upload is a bad request: {answer}");
    drop(s);
    let show = format!("/v2/images/{id}");
    let (_, body) = server.get(&show, &[("X-Auth-Token", BOB)]);
    let image: serde_json::Value = serde_json::from_str(&body).expect("an image");
    assert_eq!(image["status"], "queued", "the cut-off upload left {image}");
    let left: Vec<_> = std::fs::read_dir(data_dir.path())
        .expect("lists")
        .map(|e| e.expect("entry").file_name())
        .filter(|name| name != imagespec_server::store::journal::FILE_NAME)
        .collect();
    assert!(left.is_empty(), "the cut-off upload left {left:?} in the data directory");
    // The image takes a whole upload afterwards.
    let mut s = send(
        format!(
            "PUT /v2/images/{id}/file HTTP/1.1\r\nHost: {addr}\r\nX-Auth-Token: {BOB}\r\nContent-Type: application/octet-stream\r\nContent-Length: 5\r\nConnection: close\r\n\r\n"
        ),
        b"hello",
    );
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("reads");
    assert!(answer.starts_with("HTTP/1.1 204"), "{answer}");
    let (_, body) = server.get(&show, &[("X-Auth-Token", BOB)]);
    assert!(body.contains("\"checksum\":\"5d41402abc4b2a76b9719d911017c592\""), "{body}");
}

#[tokio::test]
async fn an_upload_dropped_mid_stream_puts_the_image_back_to_queued() {
    use futures_util::StreamExt;
    let g = glance();
    let id = g.image(BOB, json!({})).await;
    // One chunk, then a body that never ends: the request is dropped while it streams, as a
    // server drops a request it gives up on.
    let first = futures_util::stream::once(async { Ok(bytes::Bytes::from_static(b"first")) });
    let body = first.chain(futures_util::stream::pending::<std::io::Result<bytes::Bytes>>());
    let upload = g
        .cli
        .put(format!("/v2/images/{id}/file"))
        .header("X-Auth-Token", BOB)
        .content_type("application/octet-stream")
        .body(poem::Body::from_bytes_stream(body))
        .send();
    let waited = tokio::time::timeout(std::time::Duration::from_millis(300), upload).await;
    assert!(waited.is_err(), "the upload waits for the rest of its body");
    let image = g.get(&format!("/v2/images/{id}"), BOB).await.body;
    assert_eq!(image["status"], "queued", "{image}");
    let up = g.upload(&id, BOB, b"hello").await;
    assert_eq!(up.status, 204, "{up:#?}");
}
