//! The servers the benchmark runs beside ours: real OpenStack Glance and Stoplight Prism.
//!
//! Each is installed on first use under `target/bench/` (Glance into a venv from
//! `xtask/bench/glance-requirements.txt`, Prism with npm), configured in a temporary directory,
//! started on 127.0.0.1 and a free port with its output in a log file there, and stopped when
//! its [`Service`] is dropped.
//!
//! Glance runs under uWSGI, the WSGI server its deployment docs describe (glance 33 has no
//! standalone `glance-api` any more), with the uWSGI options those docs give, two worker
//! processes (one per core here), sqlite and the file store. The paste flavor is unset, so the
//! pipeline is `unauthenticated-context` and no Keystone is needed. That context is an admin by
//! its `is_admin` flag but has no roles, and the default policies test `role:admin`: without a
//! policy override every list, show and create answers 403. `policy.yaml` therefore sets
//! `context_is_admin` to always pass, which makes every request the admin the flavor intends.
//! The image cache directory is set (the cache itself is not in the pipeline) and multi-store is
//! off, so `/versions` lists the same versions as the recorded reference server.

use std::fs::{self, File};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use tempfile::TempDir;

/// Glance's pinned requirements, relative to the repository root.
const GLANCE_REQUIREMENTS: &str = "xtask/bench/glance-requirements.txt";
/// The venv Glance is installed into, relative to the repository root.
const GLANCE_VENV: &str = "target/bench/py-glance";
/// uWSGI worker processes for Glance.
const GLANCE_WORKERS: u32 = 2;
/// The Prism release; newer ones need Node 24, this machine has Node 20.
const PRISM_VERSION: &str = "5.14.2";
/// Where npm installs Prism, relative to the repository root.
const PRISM_DIR: &str = "target/bench/prism";
/// How long a server may take from start to its first answer.
const START_TIMEOUT: Duration = Duration::from_secs(120);
/// How many lines of a log an error quotes.
const LOG_TAIL_LINES: usize = 30;

/// A server process started for a benchmark; killed (and waited for) on drop.
pub struct Service {
    pub name: &'static str,
    pub base_url: String,
    child: Child,
    log: PathBuf,
    /// Holds the configuration, data and log; removed after the process is killed.
    _dir: TempDir,
}

impl Drop for Service {
    fn drop(&mut self) {
        // The process leads its own group (uWSGI forks workers): kill the whole group.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Real OpenStack Glance (PyPI `glance`, pinned), sqlite database, file store, no Keystone
/// (paste flavor unset => `unauthenticated-context`, every request is admin), on 127.0.0.1 and a
/// free port.
pub fn start_glance(root: &Path) -> Result<Service> {
    let venv = ensure_glance(root)?;
    let dir = tempfile::Builder::new().prefix("bench-glance-").tempdir()?;
    let d = dir.path();
    let port = free_port()?;
    fs::write(d.join("glance-api.conf"), glance_conf(d))?;
    fs::write(d.join("policy.yaml"), "\"context_is_admin\": \"\"\n")?;
    fs::copy(venv.join("etc/glance/glance-api-paste.ini"), d.join("glance-api-paste.ini"))
        .context("copying glance-api-paste.ini from the venv")?;
    fs::write(d.join("uwsgi.ini"), uwsgi_ini(&venv, port))?;

    let db_log = d.join("db_sync.log");
    let db_out = File::create(&db_log)?;
    let status = Command::new(venv.join("bin/glance-manage"))
        .arg("--config-file")
        .arg(d.join("glance-api.conf"))
        .arg("db_sync")
        .stdout(db_out.try_clone()?)
        .stderr(db_out)
        .status()
        .context("running glance-manage db_sync")?;
    if !status.success() {
        bail!("glance-manage db_sync failed ({status}); {}", log_tail(&db_log));
    }

    let mut uwsgi = Command::new(venv.join("bin/uwsgi"));
    uwsgi.arg("--ini").arg(d.join("uwsgi.ini")).env("OS_GLANCE_CONFIG_DIR", d).current_dir(d);
    start("glance", uwsgi, dir, port, "/versions")
}

/// Stoplight Prism (`@stoplight/prism-cli` 5.14.2 from npm) mocking the given spec file, on
/// 127.0.0.1 and a free port.
pub fn start_prism(root: &Path, spec: &Path) -> Result<Service> {
    let prism = ensure_prism(root)?;
    let spec = spec.canonicalize().with_context(|| format!("finding {}", spec.display()))?;
    let dir = tempfile::Builder::new().prefix("bench-prism-").tempdir()?;
    let port = free_port()?;
    let mut cmd = Command::new(prism);
    cmd.args(["mock", "--host", "127.0.0.1", "--port", &port.to_string()])
        // At its default level (info) Prism logs several lines per request, which costs it
        // 10-30% of its throughput here; errors that stop it at start are printed at any level.
        .args(["--verboseLevel", "silent"])
        .arg(&spec)
        .current_dir(dir.path());
    start("prism", cmd, dir, port, "/")
}

/// POSTs `count` images named `bench-000000`, `bench-000001`, ... to `{base_url}/v2/images`
/// with the given extra headers, one request at a time; returns their ids in creation order.
pub fn create_glance_images(
    base_url: &str,
    headers: &[(&str, &str)],
    count: usize,
) -> Result<Vec<String>> {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .new_agent();
    let url = format!("{}/v2/images", base_url.trim_end_matches('/'));
    let mut ids = Vec::with_capacity(count);
    for i in 0..count {
        let body = json!({
            "name": format!("bench-{i:06}"),
            "disk_format": "raw",
            "container_format": "bare",
            "visibility": "public",
            "tags": ["bench"],
        });
        let mut request = agent.post(&url).header("Content-Type", "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut response =
            request.send(body.to_string().as_str()).with_context(|| format!("POST {url}"))?;
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().with_context(|| format!("POST {url}"))?;
        if status != 201 {
            bail!("POST {url} for image {i} answered {status}: {text}");
        }
        let created: Value = serde_json::from_str(&text)
            .with_context(|| format!("POST {url} answered 201 with a body that is not JSON"))?;
        let id = created["id"].as_str().with_context(|| format!("POST {url}: no id in {text}"))?;
        ids.push(id.to_owned());
    }
    Ok(ids)
}

/// The venv with Glance and uWSGI, installed from the pinned requirements unless the stamp file
/// in it says it already was, from the same text.
fn ensure_glance(root: &Path) -> Result<PathBuf> {
    let venv = root.join(GLANCE_VENV);
    let requirements = root.join(GLANCE_REQUIREMENTS);
    let wanted = fs::read_to_string(&requirements)
        .with_context(|| format!("reading {}", requirements.display()))?;
    let stamp = venv.join("requirements.installed");
    if venv.join("bin/uwsgi").exists()
        && fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str())
    {
        return Ok(venv);
    }
    let started = Instant::now();
    eprintln!("bench: installing Glance into {GLANCE_VENV} (uWSGI compiles: a few minutes)");
    run(Command::new("python3").args(["-m", "venv", "--clear"]).arg(&venv))?;
    run(Command::new(venv.join("bin/python"))
        .args(["-m", "pip", "install", "-q", "--disable-pip-version-check", "-r"])
        .arg(&requirements))?;
    fs::write(&stamp, wanted).with_context(|| format!("writing {}", stamp.display()))?;
    eprintln!("bench: Glance installed in {:.0?}", started.elapsed());
    Ok(venv)
}

/// Prism's launcher, installed with npm unless the pinned version is already there.
fn ensure_prism(root: &Path) -> Result<PathBuf> {
    let dir = root.join(PRISM_DIR);
    let manifest = dir.join("node_modules/@stoplight/prism-cli/package.json");
    let installed = fs::read_to_string(&manifest)
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .and_then(|v| v["version"].as_str().map(str::to_owned));
    if installed.as_deref() != Some(PRISM_VERSION) {
        let started = Instant::now();
        eprintln!("bench: installing Prism {PRISM_VERSION} into {PRISM_DIR}");
        fs::create_dir_all(&dir)?;
        run(Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .arg(format!("@stoplight/prism-cli@{PRISM_VERSION}")))?;
        eprintln!("bench: Prism installed in {:.0?}", started.elapsed());
    }
    Ok(dir.join("node_modules/.bin/prism"))
}

fn glance_conf(dir: &Path) -> String {
    let d = dir.display();
    format!(
        "[DEFAULT]\n\
         node_staging_uri = file://{d}/staging\n\
         image_cache_dir = {d}/cache\n\
         \n\
         [database]\n\
         connection = sqlite:///{d}/glance.sqlite\n\
         \n\
         [glance_store]\n\
         stores = file\n\
         default_store = file\n\
         filesystem_store_datadir = {d}/images\n\
         \n\
         [oslo_policy]\n\
         policy_file = {d}/policy.yaml\n"
    )
}

/// uWSGI in HTTP mode with the options of Glance's uWSGI deployment doc; `need-app` makes it
/// exit (rather than serve 500s) when Glance fails to load.
fn uwsgi_ini(venv: &Path, port: u16) -> String {
    format!(
        "[uwsgi]\n\
         http-socket = 127.0.0.1:{port}\n\
         module = glance.wsgi.api:application\n\
         home = {venv}\n\
         need-app = true\n\
         processes = {GLANCE_WORKERS}\n\
         socket-timeout = 10\n\
         http-auto-chunked = true\n\
         http-chunked-input = true\n\
         http-raw-body = true\n\
         lazy-apps = true\n\
         add-header = Connection: close\n\
         buffer-size = 65535\n\
         thunder-lock = true\n\
         enable-threads = true\n\
         exit-on-reload = true\n\
         die-on-term = true\n\
         master = true\n",
        venv = venv.display()
    )
}

/// Starts `cmd` in its own process group with its output in `{name}.log` in `dir`, then waits
/// until `GET {probe}` gets an HTTP answer below 500.
fn start(
    name: &'static str,
    mut cmd: Command,
    dir: TempDir,
    port: u16,
    probe: &str,
) -> Result<Service> {
    let log = dir.path().join(format!("{name}.log"));
    let out = File::create(&log)?;
    cmd.stdin(Stdio::null()).stdout(out.try_clone()?).stderr(out).process_group(0);
    let child = cmd.spawn().with_context(|| format!("starting {name}: {cmd:?}"))?;
    let mut service =
        Service { name, base_url: format!("http://127.0.0.1:{port}"), child, log, _dir: dir };
    wait_until_ready(&mut service, probe)?;
    Ok(service)
}

fn wait_until_ready(service: &mut Service, probe: &str) -> Result<()> {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .max_redirects(0)
        .build()
        .new_agent();
    let url = format!("{}{probe}", service.base_url);
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Some(status) = service.child.try_wait()? {
            bail!(
                "{} exited ({status}) before answering; {}",
                service.name,
                log_tail(&service.log)
            );
        }
        if let Ok(response) = agent.get(&url).call()
            && response.status().as_u16() < 500
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "{} did not answer GET {url} within {START_TIMEOUT:?}; {}",
                service.name,
                log_tail(&service.log)
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// A port that was free a moment ago on 127.0.0.1 (the OS picks it; the listener is closed).
fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn log_tail(log: &Path) -> String {
    let text = fs::read(log).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n");
    format!("the end of {}:\n{tail}", log.display())
}

fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd.status().with_context(|| format!("starting {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed ({status})");
    }
    Ok(())
}
