//! `GET /v2/images?limit=25` through the whole in-process HTTP stack at 1k, 100k and 1M images,
//! first page and a marker 90% deep, in the default order and in other indexed orders, and with
//! selective filters, with the store's indices against the same table scanned and sorted per
//! request (the baseline), side by side in one run; and resident memory per image.
//!
//! `cargo bench -p imagespec-server --bench glance_list` prints the Markdown table that
//! `docs/benchmarks.md` holds. Under `cargo test` (no `--bench` argument) it runs a smoke version
//! (1k images, a few requests) that proves the benchmark works; it never judges a time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use imagespec_server::{
    auth::Credentials,
    store::{
        State, Store, SystemClock,
        glance::{Caller, GlanceState, NewImage, Visibility},
    },
};
use poem::{EndpointExt, test::TestClient};
use time::OffsetDateTime;

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let sizes: &[usize] = if full { &[1_000, 100_000, 1_000_000] } else { &[1_000] };
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    println!("| images | page | indexed (median) | scan (median) | scan / indexed |");
    println!("| ---: | --- | ---: | ---: | ---: |");
    let mut memory = None;
    for &n in sizes {
        let rss_before = rss_bytes();
        let (state, ids) = images(n);
        let rss_after = rss_bytes();
        if let (Some(a), Some(b)) = (rss_before, rss_after) {
            memory = Some((n, b.saturating_sub(a) / n as u64));
        }
        // Deep markers: 90% of the way through each order.
        let newest_first = ids[n / 10].clone();
        let mut by_name: Vec<(String, &String)> =
            ids.iter().enumerate().map(|(i, id)| (format!("bench-{i}"), id)).collect();
        by_name.sort();
        let name_deep = by_name[n * 9 / 10].1.clone();
        let cases: [(&str, String); 7] = [
            ("first", "/v2/images?limit=25".to_owned()),
            ("marker 90% deep", format!("/v2/images?limit=25&marker={newest_first}")),
            ("`sort=name:asc`, first", "/v2/images?limit=25&sort=name:asc".to_owned()),
            (
                "`sort=name:asc`, marker 90% deep",
                format!("/v2/images?limit=25&sort=name:asc&marker={name_deep}"),
            ),
            (
                "`sort_key=updated_at`, marker 90% deep",
                format!("/v2/images?limit=25&sort_key=updated_at&marker={newest_first}"),
            ),
            // A filter that rejects every image but one.
            ("`name=` one image", format!("/v2/images?limit=25&name=bench-{}", n / 2)),
            ("`status=active` (none)", "/v2/images?limit=25&status=active".to_owned()),
        ];
        for (label, uri) in cases {
            let indexed = rt.block_on(time_requests(state.clone(), &uri, full));
            let scan = rt.block_on(time_requests(state.clone().scan_only(), &uri, full));
            println!(
                "| {n} | {label} | {} | {} | {:.1}x |",
                show(indexed),
                show(scan),
                scan.as_secs_f64() / indexed.as_secs_f64().max(1e-9)
            );
        }
    }
    if let Some((n, per_image)) = memory {
        println!("\nResident memory per image (at {n} images): {per_image} bytes");
    }
}

/// `n` public images of project `p`, one per second, and their ids oldest first.
fn images(n: usize) -> (GlanceState, Vec<String>) {
    let admin = Caller::new(Some("0123456789abcdef0123456789abcdef".into()), &["admin".into()]);
    let mut state = GlanceState::default();
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let new = NewImage {
            name: Some(format!("bench-{i}")),
            visibility: Some(Visibility::Public),
            container_format: Some("bare".into()),
            disk_format: Some("qcow2".into()),
            ..NewImage::default()
        };
        let at = OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(i as i64);
        ids.push(state.create(&admin, new, at).expect("created").id);
    }
    (state, ids)
}

/// The median time of `GET uri` as bob (another project) against a server holding `glance`.
async fn time_requests(glance: GlanceState, uri: &str, full: bool) -> Duration {
    let store = Store::new(State { glance, ..State::default() }, Arc::new(SystemClock))
        .expect("a data directory");
    let app = imagespec_server::app(store, Arc::new(Credentials::development())).map_to_response();
    let cli = TestClient::new(app);
    let (warmup, budget, max) =
        if full { (3, Duration::from_secs(2), 200) } else { (1, Duration::ZERO, 3) };
    let mut times = Vec::new();
    let started = Instant::now();
    for i in 0.. {
        let t = Instant::now();
        let resp = cli.get(uri).header("X-Auth-Token", "bob-token").send().await;
        resp.assert_status_is_ok();
        let body = resp.0.into_body().into_string().await.expect("a body");
        assert!(body.contains("\"images\""), "not a list: {body}");
        if i >= warmup {
            times.push(t.elapsed());
        }
        if times.len() >= max || (times.len() >= 5 && started.elapsed() > budget) {
            break;
        }
    }
    times.sort();
    times[times.len() / 2]
}

fn show(d: Duration) -> String {
    if d < Duration::from_millis(1) {
        format!("{} µs", d.as_micros())
    } else {
        format!("{:.1} ms", d.as_secs_f64() * 1e3)
    }
}

/// This process's resident set (Linux), in bytes.
fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}
