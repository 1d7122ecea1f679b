"""Drive the official Huawei Cloud Python SDK (CCE v5 image caches) against imagespec-server.

Usage:
    python cce_sdk.py <base_url>          e.g. python cce_sdk.py http://127.0.0.1:8080

What it is: a conformance check that the server's `/v5/imagecaches` family works with the
real, unmodified `huaweicloudsdkcce.v5.CceClient` (versions pinned in requirements.txt next
to this file). Each client is built the way shared/reference/huawei-swr-cce.md §4.3 says to
point the SDK at a local fake:

    CceClient.new_builder()
        .with_credentials(BasicCredentials(ak, sk, project_id))
        .with_endpoints([base_url])
        .build()

No region is given, so the SDK makes no IAM project lookup; every request is AK/SK signed
(SDK-HMAC-SHA256) and carries X-Project-Id. The credentials are the server's development set
(server/demo/credentials.toml): alice and bob live in different projects. The server must
therefore be started without `--credentials` (or with a file holding the same keys).

The only thing added to the SDK is an HttpHandler response hook, a public SDK extension point,
that records the last raw HTTP response, so the script can compare the `request_id` of an
SDK exception with the X-Request-Id header the server really sent.

Checks, in order (one line is printed per check; the first failure prints `FAIL: ...` to
stderr and exits 1; success ends with `N passed, 0 failed`):
  create       201, status Creating, image_cache_size 20 and retention_days 0 when omitted,
               the request's name/images/building_config echoed, an id and created_at
  create       explicit image_cache_size / retention_days are kept
  list         without a filter: 200, contains the new cache
  list         name filter: exactly that cache; a name nobody has: empty
  show         200, same id/name, status Creating or Available
  duplicate    same name again -> ClientRequestException 409 CCE.01409001
  unknown id   show -> 404 CCE.01404001
  bad body     image_cache_size 10 -> 400 CCE.01400001, and nothing is created
  wrong SK     -> 401 APIGW.0301 (gateway error body with the same request_id)
  tenancy      bob's client: show -> 404 CCE.01404001, absent from his list, delete -> 404
  delete       202, body.image_cache.status Deleting
  after delete show still answers 200 with status Deleting (the final 404 comes later and is
               not waited for)
Every exception's request_id must be non-empty and equal the X-Request-Id response header.

Side effects handled here: importing the SDK writes $HOME/.huaweicloud/application_id, so HOME
is pointed at a throw-away directory before the import; `requests` honours proxy variables,
so NO_PROXY/no_proxy are set for loopback. Cache names carry a random suffix, so the script
can be re-run against the same server.
"""

import atexit
import os
import shutil
import sys
import tempfile
import uuid

# --- environment, before the SDK is imported ---------------------------------------------
_HOME = tempfile.mkdtemp(prefix="cce-sdk-home-")
atexit.register(shutil.rmtree, _HOME, True)
os.environ["HOME"] = _HOME
for _var in ("NO_PROXY", "no_proxy"):
    _old = os.environ.get(_var, "")
    os.environ[_var] = ",".join(p for p in ("127.0.0.1", "localhost", "::1", _old) if p)
# Make sure no ambient Huawei credentials or endpoints leak into the clients.
for _var in list(os.environ):
    if _var.startswith("HUAWEICLOUD_SDK_"):
        del os.environ[_var]

from huaweicloudsdkcore.auth.credentials import BasicCredentials  # noqa: E402
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException, SdkException  # noqa: E402
from huaweicloudsdkcore.http.http_handler import HttpHandler  # noqa: E402
from huaweicloudsdkcce.v5 import (  # noqa: E402
    CceClient,
    CreateImageCacheRequest,
    CreateImageCacheRequestBody,
    DeleteImageCacheRequest,
    ImageCacheBuildingConfig,
    ListImageCachesRequest,
    ShowImageCacheRequest,
)

# Development credentials (server/demo/credentials.toml).
ALICE_AK = "ALICEAK0000000000001"
ALICE_SK = "alice-secret-key-0000000000000000000001"
ALICE_PROJECT = "0123456789abcdef0123456789abcdef"
BOB_AK = "BOBAK000000000000001"
BOB_SK = "bob-secret-key-00000000000000000000001"
BOB_PROJECT = "fedcba9876543210fedcba9876543210"

CLUSTER = "c271e39f-1a6e-4d3d-8fa8-2a36329c68d2"
IMAGES = ["swr.cn-north-4.myhuaweicloud.com/library/nginx:1.25", "busybox:latest"]


class CheckFailed(Exception):
    pass


class Recorder:
    """Keeps the last raw `requests.Response` the SDK received (via HttpHandler)."""

    def __init__(self):
        self.last = None

    def __call__(self, **kwargs):
        self.last = kwargs.get("response")

    def header(self, name):
        return "" if self.last is None else self.last.headers.get(name, "")

    def describe(self):
        r = self.last
        if r is None:
            return "no HTTP response recorded"
        body = r.content.decode("utf-8", "replace")
        return "last exchange: %s %s -> %s X-Request-Id=%r body=%s" % (
            r.request.method, r.request.url, r.status_code, r.headers.get("X-Request-Id"), body[:500])


PASSED = []


def check(label, condition, detail=""):
    if not condition:
        raise CheckFailed("%s: %s" % (label, detail))
    PASSED.append(label)
    print("ok %2d - %s" % (len(PASSED), label), flush=True)


def client(base_url, ak, sk, project_id, recorder):
    handler = HttpHandler().add_response_handler(recorder)
    return (CceClient.new_builder()
            .with_credentials(BasicCredentials(ak, sk, project_id))
            .with_endpoints([base_url])
            .with_http_handler(handler)
            .build())


def body(name, **extra):
    return CreateImageCacheRequestBody(
        name=name,
        images=list(IMAGES),
        building_config=ImageCacheBuildingConfig(cluster=CLUSTER, image_pull_secrets=["default-secret"]),
        **extra)


def expect_error(label, recorder, call, status, code):
    """Run `call`, which must raise ClientRequestException(status, code); check request_id."""
    try:
        result = call()
    except ClientRequestException as e:
        header_id = recorder.header("X-Request-Id")
        got = (e.status_code, e.error_code)
        check(label, got == (status, code) and bool(e.error_msg),
              "expected %s %s with an error_msg, got %s error_msg=%r; %s"
              % (status, code, got, e.error_msg, recorder.describe()))
        check(label + ": request_id == X-Request-Id (%s)" % e.request_id,
              bool(e.request_id) and e.request_id == header_id,
              "exception request_id=%r, response header X-Request-Id=%r" % (e.request_id, header_id))
        return e
    except SdkException as e:
        raise CheckFailed("%s: expected ClientRequestException %s %s, got %r; %s"
                          % (label, status, code, e, recorder.describe()))
    raise CheckFailed("%s: expected ClientRequestException %s %s, but the call succeeded: %r; %s"
                      % (label, status, code, result, recorder.describe()))


def ids(list_response):
    # An empty JSON array may come back as None from the SDK's deserializer.
    return [c.id for c in (list_response.image_caches or [])]


def run(base_url):
    rec = Recorder()
    alice = client(base_url, ALICE_AK, ALICE_SK, ALICE_PROJECT, rec)
    suffix = uuid.uuid4().hex[:8]
    name = "sdk-cache-" + suffix
    sized_name = "sdk-sized-" + suffix

    # create, optional fields omitted
    created = alice.create_image_cache(CreateImageCacheRequest(body=body(name)))
    c = created.image_cache
    check("create: HTTP 201", created.status_code == 201, "got %s; %s" % (created.status_code, rec.describe()))
    check("create: X-Request-Id header present", bool(rec.header("X-Request-Id")), rec.describe())
    check("create: status Creating", c is not None and c.status == "Creating", "got %r" % (c,))
    check("create: defaults image_cache_size 20, retention_days 0",
          (c.image_cache_size, c.retention_days) == (20, 0),
          "got image_cache_size=%r retention_days=%r" % (c.image_cache_size, c.retention_days))
    check("create: name, images and building_config echoed",
          c.name == name and c.images == IMAGES and c.building_config is not None
          and c.building_config.cluster == CLUSTER
          and c.building_config.image_pull_secrets == ["default-secret"],
          "got %r" % (c,))
    check("create: id and created_at set (id=%s, created_at=%s)" % (c.id, c.created_at),
          bool(c.id) and bool(c.created_at), "got %r" % (c,))
    cache_id = c.id

    # create with explicit values
    sized = alice.create_image_cache(CreateImageCacheRequest(
        body=body(sized_name, image_cache_size=40, retention_days=7))).image_cache
    check("create: explicit image_cache_size 40, retention_days 7 kept",
          (sized.image_cache_size, sized.retention_days, sized.status) == (40, 7, "Creating"),
          "got %r" % (sized,))

    # list
    listed = alice.list_image_caches(ListImageCachesRequest())
    check("list: HTTP 200 and contains the new cache",
          listed.status_code == 200 and cache_id in ids(listed) and sized.id in ids(listed),
          "status %s, ids %s; %s" % (listed.status_code, ids(listed), rec.describe()))
    filtered = alice.list_image_caches(ListImageCachesRequest(name=name))
    check("list?name=%s: exactly that cache" % name, ids(filtered) == [cache_id],
          "got ids %s; %s" % (ids(filtered), rec.describe()))
    nobody = alice.list_image_caches(ListImageCachesRequest(name="sdk-nobody-" + suffix))
    check("list?name=<unused name>: empty", nobody.status_code == 200 and ids(nobody) == [],
          "got ids %s; %s" % (ids(nobody), rec.describe()))

    # show
    shown = alice.show_image_cache(ShowImageCacheRequest(image_cache_id=cache_id))
    s = shown.image_cache
    check("show: HTTP 200, same cache, status %s" % (s.status if s else None),
          shown.status_code == 200 and s is not None and (s.id, s.name) == (cache_id, name)
          and s.status in ("Creating", "Available")
          and (s.image_cache_size, s.retention_days) == (20, 0),
          "got %s %r; %s" % (shown.status_code, s, rec.describe()))

    # errors
    expect_error("duplicate name: 409 CCE.01409001", rec,
                 lambda: alice.create_image_cache(CreateImageCacheRequest(body=body(name))),
                 409, "CCE.01409001")
    expect_error("show unknown id: 404 CCE.01404001", rec,
                 lambda: alice.show_image_cache(ShowImageCacheRequest(image_cache_id=str(uuid.uuid4()))),
                 404, "CCE.01404001")
    bad_name = "sdk-bad-" + suffix
    expect_error("image_cache_size 10: 400 CCE.01400001", rec,
                 lambda: alice.create_image_cache(CreateImageCacheRequest(
                     body=body(bad_name, image_cache_size=10))),
                 400, "CCE.01400001")
    check("image_cache_size 10: nothing created",
          ids(alice.list_image_caches(ListImageCachesRequest(name=bad_name))) == [], rec.describe())

    wrong = client(base_url, ALICE_AK, ALICE_SK[:-1] + "X", ALICE_PROJECT, rec)
    e = expect_error("wrong SK: 401 APIGW.0301", rec,
                     lambda: wrong.list_image_caches(ListImageCachesRequest()), 401, "APIGW.0301")
    try:
        gateway_body = rec.last.json()
    except ValueError:
        gateway_body = {}
    check("wrong SK: gateway body carries the same request_id",
          gateway_body.get("request_id") == e.request_id, "body %r, request_id %r" % (gateway_body, e.request_id))

    # tenancy
    bob = client(base_url, BOB_AK, BOB_SK, BOB_PROJECT, rec)
    expect_error("bob shows alice's cache: 404 CCE.01404001", rec,
                 lambda: bob.show_image_cache(ShowImageCacheRequest(image_cache_id=cache_id)),
                 404, "CCE.01404001")
    bob_ids = ids(bob.list_image_caches(ListImageCachesRequest()))
    check("bob's list does not contain alice's caches", cache_id not in bob_ids and sized.id not in bob_ids,
          "bob sees %s" % bob_ids)
    bob_named = ids(bob.list_image_caches(ListImageCachesRequest(name=name)))
    check("bob's list?name=<alice's name>: empty", bob_named == [], "bob sees %s" % bob_named)
    expect_error("bob deletes alice's cache: 404 CCE.01404001", rec,
                 lambda: bob.delete_image_cache(DeleteImageCacheRequest(image_cache_id=cache_id)),
                 404, "CCE.01404001")

    # delete
    deleted = alice.delete_image_cache(DeleteImageCacheRequest(image_cache_id=cache_id))
    d = (deleted.body or {}).get("image_cache") if isinstance(deleted.body, dict) else None
    check("delete: HTTP 202, status Deleting",
          deleted.status_code == 202 and isinstance(d, dict) and d.get("id") == cache_id
          and d.get("status") == "Deleting",
          "got %s body=%r; %s" % (deleted.status_code, deleted.body, rec.describe()))
    after = alice.show_image_cache(ShowImageCacheRequest(image_cache_id=cache_id))
    check("show after delete: still answers, status Deleting",
          after.status_code == 200 and after.image_cache is not None
          and after.image_cache.status == "Deleting",
          "got %s %r; %s" % (after.status_code, after.image_cache, rec.describe()))

    # tidy up the second cache (the server deletes it asynchronously)
    tidy = alice.delete_image_cache(DeleteImageCacheRequest(image_cache_id=sized.id))
    check("delete second cache: HTTP 202", tidy.status_code == 202, rec.describe())


def main(argv):
    if len(argv) != 2 or not argv[1].startswith(("http://", "https://")):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        print("error: give the server's base URL, e.g. http://127.0.0.1:8080", file=sys.stderr)
        return 2
    base_url = argv[1].rstrip("/")
    print("cce_sdk: huaweicloudsdkcce against %s (HOME=%s)" % (base_url, _HOME), flush=True)
    try:
        run(base_url)
    except CheckFailed as e:
        print("FAIL: %s" % e, file=sys.stderr)
        print("%d passed, 1 failed" % len(PASSED))
        return 1
    except SdkException as e:
        print("FAIL: unexpected SDK exception after check %d: %s: %s" % (len(PASSED), type(e).__name__, e),
              file=sys.stderr)
        print("%d passed, 1 failed" % len(PASSED))
        return 1
    print("%d passed, 0 failed" % len(PASSED))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
