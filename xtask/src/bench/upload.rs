//! Image upload throughput (`PUT /v2/images/{id}/file`, hashed with MD5 and SHA-512 as it
//! streams to disk) against the limit: the same two digests over the same bytes, computed by
//! `bench_baseline hash` (the server's crates and build profile).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

/// Throughput of uploads and of hashing alone, in MB/s (10^6 bytes per second).
#[derive(Debug, Clone, Copy)]
pub struct Upload {
    pub images: usize,
    pub bytes_per_image: usize,
    pub upload_mb_s: f64,
    pub hash_mb_s: f64,
}

/// Uploads `images` images of `mib` MiB each to a Glance at `base` as `token`, has `baseline`
/// hash the same bytes, and checks that the server's `checksum` and `os_hash_value` are the
/// digests of what was sent.
pub fn measure(
    base: &str,
    token: &str,
    baseline: &Path,
    mib: usize,
    images: usize,
) -> Result<Upload> {
    let data = pseudo_random(mib << 20);
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("data");
    std::fs::write(&file, &data)?;
    let out = Command::new(baseline).arg("hash").arg(&file).output().context("bench_baseline")?;
    let printed = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<&str> = printed.split_whitespace().collect();
    let [_, mb_s, md5, sha512] = fields[..] else {
        bail!("bench_baseline hash printed {printed:?} ({})", out.status);
    };
    let hash_mb_s: f64 = mb_s.parse().context("the hashing speed")?;

    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut spent = Duration::ZERO;
    for i in 0..images {
        let created = agent
            .post(&format!("{base}/v2/images"))
            .header("X-Auth-Token", token)
            .send_json(serde_json::json!({
                "name": format!("bench-upload-{i}"),
                "disk_format": "raw",
                "container_format": "bare",
            }))?
            .body_mut()
            .read_json::<serde_json::Value>()?;
        let id = created["id"].as_str().context("the created image has an id")?.to_owned();
        let start = Instant::now();
        let resp = agent
            .put(&format!("{base}/v2/images/{id}/file"))
            .header("X-Auth-Token", token)
            .header("Content-Type", "application/octet-stream")
            .send(&data[..])?;
        spent += start.elapsed();
        if resp.status() != 204 {
            bail!("upload of {id} answered {}", resp.status());
        }
        let image = agent
            .get(&format!("{base}/v2/images/{id}"))
            .header("X-Auth-Token", token)
            .call()?
            .body_mut()
            .read_json::<serde_json::Value>()?;
        ensure!(image["checksum"] == md5, "the server's MD5 differs: {}", image["checksum"]);
        ensure!(image["os_hash_value"] == sha512, "the server's SHA-512 differs");
    }
    let upload_mb_s = (data.len() * images) as f64 / 1e6 / spent.as_secs_f64().max(1e-9);
    Ok(Upload { images, bytes_per_image: data.len(), upload_mb_s, hash_mb_s })
}

/// Incompressible bytes without a dependency: xorshift64*, fixed seed.
fn pseudo_random(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}
