//! What the server tells once every address answers: the banner for people (stdout), the ready
//! file for tools (`--ready-file`), and the warning about development credentials beyond
//! loopback.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use crate::app::LIVE_FAMILIES;
use crate::auth::DEVELOPMENT_CREDENTIALS;
use crate::faults::Plan;

/// What to warn about when the server listens beyond this machine with the development
/// credentials (which are printed and published: anyone who can connect is an admin).
pub fn exposure_warning(host: IpAddr, development: bool) -> Option<String> {
    (development && !host.is_loopback()).then(|| {
        format!(
            "listening on {host}, beyond this machine, with the development credentials: they are \
             printed below and published in the repository, so anyone who can reach this address \
             is an admin (give --credentials FILE)"
        )
    })
}

/// `--ready-file`: the addresses as JSON, renamed into place so a reader never sees half of it.
pub fn write_ready_file(
    path: &Path,
    addr: SocketAddr,
    regions: &[(String, SocketAddr)],
) -> std::io::Result<()> {
    let regions: Vec<_> = regions
        .iter()
        .map(|(id, a)| serde_json::json!({ "id": id, "url": format!("http://{a}") }))
        .collect();
    let ready = serde_json::json!({ "base": format!("http://{addr}"), "swr_regions": regions });
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    std::fs::write(&partial, format!("{ready}\n"))?;
    std::fs::rename(&partial, path)
}

/// The banner: every address, the fault rules, and the development credentials when they are
/// the ones in use.
pub fn print_banner(
    addr: SocketAddr,
    regions: &[(String, SocketAddr)],
    faults: &Plan,
    development: bool,
) {
    println!("imagespec-server listening on http://{addr}");
    println!("  Swagger UI:  http://{addr}/docs/");
    println!("  specs:       http://{addr}/specs/{{glance,swr,cce,snowflake}}.yaml");
    for (region, region_addr) in regions {
        println!("  SWR region {region}: http://{region_addr}");
    }
    for rule in &faults.rules {
        println!("  fault (seed {}): {rule}", faults.seed);
    }
    println!("  fault injection: http://{addr}/admin/faults (admin token)");
    println!("  live families: {}", LIVE_FAMILIES.join(", "));
    if development {
        println!("  development credentials (no --credentials given):");
        for line in DEVELOPMENT_CREDENTIALS.lines().filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            println!("    {line}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_development_credentials_beyond_loopback_are_warned_about() {
        let any: IpAddr = "0.0.0.0".parse().expect("address");
        let lan: IpAddr = "192.168.1.20".parse().expect("address");
        let local: IpAddr = "127.0.0.1".parse().expect("address");
        let local6: IpAddr = "::1".parse().expect("address");
        for host in [any, lan] {
            let warning = exposure_warning(host, true).expect("a warning");
            assert!(warning.contains(&host.to_string()) && warning.contains("--credentials"));
            assert_eq!(exposure_warning(host, false), None, "a credentials file was given");
        }
        assert_eq!(exposure_warning(local, true), None);
        assert_eq!(exposure_warning(local6, true), None);
    }

    #[test]
    fn the_ready_file_lists_every_address_the_home_region_first() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("ready.json");
        let addr: SocketAddr = "127.0.0.1:8080".parse().expect("address");
        let east: SocketAddr = "127.0.0.1:8081".parse().expect("address");
        let regions = [("cn-north-4".to_owned(), addr), ("cn-east-3".to_owned(), east)];
        write_ready_file(&path, addr, &regions).expect("written");
        let text = std::fs::read_to_string(&path).expect("the file");
        assert_eq!(
            text,
            "{\"base\":\"http://127.0.0.1:8080\",\"swr_regions\":[\
             {\"id\":\"cn-north-4\",\"url\":\"http://127.0.0.1:8080\"},\
             {\"id\":\"cn-east-3\",\"url\":\"http://127.0.0.1:8081\"}]}\n"
        );
        let names: Vec<_> = std::fs::read_dir(dir.path()).expect("a dir").flatten().collect();
        assert_eq!(names.len(), 1, "the partial file is renamed away");
    }
}
