//! The server's integration tests, in one binary; one module per topic.

/// Shared helpers: in-process calls and a spawned server for real clients.
mod support;

/// The binary: a free port, the demo state, the credentials file, clean shutdown.
mod binary;
/// CCE image caches through the in-process app: transcripts, bad input, auth, lifecycle.
mod cce;
/// Many clients at once: mixed writes and lists against a sequential model.
mod concurrency;
/// The conformance library against our server, correct and with planted faults: one module per
/// family's suite (`conformance::glance`, `::swr`...) and per phase or option of the run.
mod conformance;
/// `/specs/` and `/docs/` over HTTP.
mod docs;
/// `--data-dir`: restarts, `kill -9` under load, export.
mod durable;
/// Fault injection: each family's envelopes, scoping, seeds, latency, dropped connections,
/// Snowflake's 202 answers and the `/admin/faults` endpoint.
mod faults;
/// Glance images v2 through the in-process app: every rule of the reference, bad input, tenancy.
mod glance;
/// python-glanceclient and openstacksdk against a spawned server.
mod glance_clients;
/// Slow and idle clients, the connection cap, graceful shutdown, `/healthz`.
mod hardening;
/// Randomized trials: no principal sees or changes another's private data, in any family.
mod isolation;
/// The Huawei Cloud Python SDK (huaweicloudsdkcce) against a spawned server.
mod python_sdk;
/// `--ready-file` through the harness, and the banner that lists the same addresses.
mod ready;
/// Snowflake image repositories through the in-process app: containers, createMode, like,
/// identifiers, the 202 protocol, paging, auth and bad input.
mod snowflake;
/// snowflake-core (the real Python client) against a spawned server.
mod snowflake_client;
/// The contract the running server exposes vs the hand-written specs.
mod spec_drift;
/// Swagger UI rendered in headless Chromium.
mod swagger_ui;
/// Huawei SWR through the in-process app, two regions: operations, sync, bad input.
mod swr;
