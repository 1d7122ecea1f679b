//! The baselines of `cargo xtask bench`, built with the server's own dependencies and profile.
//!
//! - `bench_baseline serve ROUTES.json`: the framework's ceiling, a minimal poem server that
//!   answers each benchmarked path with a fixed body (the bytes imagespec gave for it), so what
//!   remains is poem, tokio and the socket. The file is an array of
//!   `{"path": "/v2/images", "content_type": "application/json", "body_file": "..."}`. Prints
//!   `ceiling listening on <url>` once it accepts connections, and serves until killed.
//! - `bench_baseline hash FILE`: the upload's limit, MD5 and SHA-512 over the file's bytes in
//!   64 KiB chunks, one thread, with the crates the server's upload uses (best of three). Prints
//!   `hash <MB/s> <md5 hex> <sha512 hex>`.

use anyhow::{Context, Result};
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{Body, Response, Route, Server, endpoint::make_sync, get};

#[derive(serde::Deserialize)]
struct FixedRoute {
    path: String,
    content_type: String,
    body_file: std::path::PathBuf,
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["serve", routes] => tokio::runtime::Runtime::new()?.block_on(serve(routes)),
        ["hash", file] => hash(file),
        _ => anyhow::bail!("usage: bench_baseline serve ROUTES.json | hash FILE"),
    }
}

fn hash(file: &str) -> Result<()> {
    use sha2::Digest;
    let data = std::fs::read(file).with_context(|| file.to_owned())?;
    let mut best = f64::MAX;
    let mut digests = (String::new(), String::new());
    for _ in 0..3 {
        let start = std::time::Instant::now();
        let (mut md5, mut sha512) = (md5::Md5::new(), sha2::Sha512::new());
        for chunk in data.chunks(64 << 10) {
            md5.update(chunk);
            sha512.update(chunk);
        }
        digests = (hex::encode(md5.finalize()), hex::encode(sha512.finalize()));
        best = best.min(start.elapsed().as_secs_f64());
    }
    let mb_s = data.len() as f64 / 1e6 / best.max(1e-9);
    println!("hash {mb_s:.1} {} {}", digests.0, digests.1);
    Ok(())
}

async fn serve(file: &str) -> Result<()> {
    let text = std::fs::read_to_string(file).with_context(|| file.to_owned())?;
    let routes: Vec<FixedRoute> = serde_json::from_str(&text).context("the routes file")?;
    let mut app = Route::new();
    for r in routes {
        // Leaked once, so every answer is the same bytes without a copy.
        let body: &'static [u8] = Vec::leak(std::fs::read(&r.body_file)?);
        let content_type = r.content_type;
        app = app.at(
            &r.path,
            get(make_sync(move |_| {
                Response::builder().content_type(content_type.as_str()).body(Body::from(body))
            })),
        );
    }
    let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await?;
    let addr = acceptor.local_addr().into_iter().next().context("a local address")?;
    let addr = *addr.as_socket_addr().context("a TCP address")?;
    println!("ceiling listening on http://{addr}");
    Server::new_with_acceptor(acceptor).run(app).await?;
    Ok(())
}
