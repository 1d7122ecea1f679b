"""Drive python-glanceclient and openstacksdk (Glance images v2) against imagespec-server.

Usage:
    python glance_clients.py <base_url> <token> <other_project_token>
    e.g. python glance_clients.py http://127.0.0.1:8080 bob-token carol-token

What it is: a check that the server's Glance family works with the real, unmodified OpenStack
clients (versions pinned in openstack-requirements.txt next to this file). Glance is served at
the server root: `GET {base}/` is the version document (300), the API is under `{base}/v2/`.
`<token>` must be a member+reader of one project and `<other_project_token>` a member+reader of
another project (server/demo/credentials.toml: bob-token and carol-token); neither may be admin.

How each client is pointed at the server, without Keystone:

  python-glanceclient  glanceclient.Client('2', endpoint=base_url, token=token)
                       The documented no-Keystone form: every request is base_url + "/v2/..."
                       with an X-Auth-Token header; no version discovery is made.
  openstacksdk         openstack.connection.Connection(
                           session=keystoneauth1.session.Session(
                               auth=keystoneauth1.token_endpoint.Token(base_url, token)),
                           image_endpoint_override=base_url)
                       Token is keystoneauth's "known endpoint + known token" plugin (the one
                       behind auth_type admin_token), so no Keystone and no clouds.yaml or OS_*
                       variables are involved. The image endpoint override makes the SDK run
                       version discovery on base_url: it GETs `/`, reads the 300 version
                       document and uses the v2 `self` href it names (`{base}/v2/`) for every
                       call. Without the override the SDK would send `/images` unversioned.

The only thing added to either client is a `requests` response hook (a public requests
extension point) on the HTTP session each client uses; it records the exchanges so that a
failure can show the last request and response, and so the paging checks can count requests.

Checks, in order, run once with python-glanceclient and then once with openstacksdk (one line
is printed per check; the first failure prints `FAIL: ...` to stderr and exits 1; success ends
with `N passed, 0 failed`). Every name carries a random prefix, so reruns do not collide.
  create       disk_format raw, container_format bare, custom properties os_distro and
               imagespec_note, two tags: status queued, visibility shared, protected false,
               os_hidden false, size and checksum null, the properties and tags echoed
               (glanceclient: the response carries an x-openstack-request-id; openstacksdk:
               the SDK's own create_image properties, dotted names with empty values, are kept)
  show         GET returns the same image
  no data      download before upload: glanceclient returns None, the SDK a 204 with no body
  upload       ~300 KiB of random bytes through the client's upload call; then status active,
               size, checksum == md5, os_hash_algo sha512, os_hash_value == sha512 hex
  download     the client's download call (each client verifies os_hash_value itself); the
               bytes equal the upload
  6 images     created with distinct names, sizes and tags, their sizes checked; one is private
               (the SDK run checks that visibility too); openstacksdk uses create_image with
               data, i.e. create + upload + checksum validation in one call
  paging       list with page size 2 and the run's tag: every one of the 6 appears exactly once,
               nothing else appears, and the client followed `next` (>= 3 list requests, later
               ones carrying a marker)
  filters      name (exactly one image); two tags (AND); a custom property (glanceclient sends
               os_distro=... to the server; openstacksdk filters os_distro on the client side,
               the tag part on the server); size_min
  sort         sort_key=name&sort_dir=asc across pages of 2, and sort=size:desc: exact order
  update       glanceclient: images.update(name=..., os_version=..., imagespec_note=...,
               remove_props=[os_distro]) (a JSON-patch with replace, add and remove, plus the
               replace of /tags glanceclient always sends); openstacksdk: update_image(name=...,
               os_version=..., imagespec_note=...). The result and a fresh GET show the change;
               tags are unchanged
  tags         add a tag, delete a tag (each seen in a fresh GET); deleting a tag the image
               lacks raises the client's not-found exception
  tenancy      with the other project's token: the shared image and the private image are not
               found (HTTPNotFound / NotFoundException), not listed under the run's tag, and the
               private image cannot be downloaded
  unknown id   showing a random UUID raises the client's not-found exception with status 404
               (and not a crash inside the client's error parsing)
  deactivate   status deactivated; the owner's (non-admin) download gets 403 (glanceclient
               HTTPForbidden; the SDK's streamed download answers status 403)
  reactivate   status active; the download works again and its bytes equal the upload
  delete       the image: then show raises not found and it is no longer listed; the 6 images:
               then the run's tag lists nothing

Side effects handled here: HOME is pointed at a throw-away directory before the clients are
imported (openstacksdk and keystoneauth look for config and cache files under it); `requests`
honours proxy variables, so NO_PROXY/no_proxy are set for loopback; OS_* variables are removed
so no ambient OpenStack configuration can leak in.
"""

import atexit
import hashlib
import io
import os
import shutil
import sys
import tempfile
import uuid

# --- environment, before the clients are imported ----------------------------------------
_HOME = tempfile.mkdtemp(prefix="glance-clients-home-")
atexit.register(shutil.rmtree, _HOME, True)
os.environ["HOME"] = _HOME
for _var in ("NO_PROXY", "no_proxy"):
    _old = os.environ.get(_var, "")
    os.environ[_var] = ",".join(p for p in ("127.0.0.1", "localhost", "::1", _old) if p)
for _var in list(os.environ):
    if _var.startswith("OS_"):
        del os.environ[_var]

import glanceclient  # noqa: E402
import openstack.connection  # noqa: E402
import requests  # noqa: E402
from glanceclient import exc as gexc  # noqa: E402
from keystoneauth1 import session as ksa_session  # noqa: E402
from keystoneauth1 import token_endpoint  # noqa: E402
from openstack import exceptions as sdkexc  # noqa: E402

TIMEOUT = 60
PAGE = 2
MAIN_SIZE = 300 * 1024 + 17
# Six list images: names, data sizes and tags are permuted so that creation order, name order
# and size order all differ.
LETTERS = ["c", "a", "e", "b", "f", "d"]
SIZES = [4000, 6000, 1000, 3000, 2000, 5000]
EVEN = {0, 2, 4}
SPECIAL = {1, 4}
PRIVATE = 0


class CheckFailed(Exception):
    pass


PASSED = []


def check(label, condition, detail=""):
    if not condition:
        raise CheckFailed("%s: %s" % (label, detail))
    PASSED.append(label)
    print("ok %2d - %s" % (len(PASSED), label), flush=True)


class Recorder:
    """A `requests` response hook: keeps every (method, url, status) and the last response."""

    def __init__(self):
        self.exchanges = []
        self.last = None

    def __call__(self, response, *args, **kwargs):
        self.exchanges.append((response.request.method, response.request.url, response.status_code))
        self.last = response

    def mark(self):
        return len(self.exchanges)

    def list_requests(self, since):
        return [url for (method, url, _) in self.exchanges[since:]
                if method == "GET" and "/images?" in url]

    def describe(self):
        r = self.last
        if r is None:
            return "no HTTP response recorded"
        ctype = r.headers.get("Content-Type", "")
        if "octet-stream" in ctype:  # image data is streamed; never read it here
            body = "<%s bytes>" % r.headers.get("Content-Length", "?")
        else:
            try:
                body = r.text[:500]
            except RuntimeError:  # a streamed body already consumed by the client
                body = "<consumed>"
        return "last exchange: %s %s -> %s Content-Type=%r body=%s" % (
            r.request.method, r.request.url, r.status_code, ctype, body)


def expect_raises(label, rec, call, exc_type, status, status_of):
    """`call` must raise `exc_type` whose status (per `status_of`) is `status`."""
    try:
        result = call()
    except exc_type as e:
        check(label, status_of(e) == status,
              "got %s with status %r; %s" % (type(e).__name__, status_of(e), rec.describe()))
        return e
    except Exception as e:  # a crash inside the client (for example in its error parsing)
        raise CheckFailed("%s: expected %s (%s), the client raised %s: %s; %s" % (
            label, exc_type.__name__, status, type(e).__name__, e, rec.describe()))
    raise CheckFailed("%s: expected %s (%s), but the call succeeded: %r; %s" % (
        label, exc_type.__name__, status, result, rec.describe()))


def hashes(data):
    return hashlib.md5(data).hexdigest(), hashlib.sha512(data).hexdigest()


class Run:
    """Names and data for one client's scenario."""

    def __init__(self, client):
        self.client = client
        self.prefix = "%s-%s" % (client, uuid.uuid4().hex[:8])
        self.tag = self.prefix + "-run"
        self.list_tag = self.prefix + "-list"
        self.even_tag = self.prefix + "-even"
        self.special = self.prefix + "-special"
        self.data = os.urandom(MAIN_SIZE)
        self.names = ["%s-img-%s" % (self.prefix, letter) for letter in LETTERS]
        self.blobs = [os.urandom(n) for n in SIZES]

    def tags_of(self, i):
        return [self.list_tag] + ([self.even_tag] if i in EVEN else [])

    def label(self, text):
        return "[%s] %s" % (self.client, text)


def order(ids, keys):
    """`ids` reordered by `keys` (one key per index)."""
    return [ids[i] for i in sorted(range(len(ids)), key=lambda i: keys[i])]


# --- python-glanceclient -----------------------------------------------------------------

def glance_client(base_url, token, rec):
    gc = glanceclient.Client("2", endpoint=base_url, token=token, timeout=TIMEOUT)
    gc.http_client.session.hooks["response"].append(rec)
    return gc


def gc_ids(images):
    return [i["id"] for i in images]


def run_glanceclient(base_url, token, other_token, rec):
    r = Run("glanceclient")
    L = r.label
    gc = glance_client(base_url, token, rec)
    status = lambda e: getattr(e, "code", None)  # noqa: E731

    # create
    img = gc.images.create(name=r.prefix + "-main", disk_format="raw", container_format="bare",
                           os_distro=r.special, imagespec_note="created", tags=[r.tag, "alpha"])
    image_id = img["id"]
    check(L("create: status queued, visibility shared, protected false, os_hidden false"),
          (img["status"], img["visibility"], img["protected"], img["os_hidden"])
          == ("queued", "shared", False, False), "got %r; %s" % (dict(img), rec.describe()))
    check(L("create: size and checksum null, name/formats/properties/tags echoed"),
          img.get("size") is None and img.get("checksum") is None
          and (img["name"], img["disk_format"], img["container_format"])
          == (r.prefix + "-main", "raw", "bare")
          and img.get("os_distro") == r.special and img.get("imagespec_note") == "created"
          and sorted(img["tags"]) == sorted([r.tag, "alpha"]), "got %r" % dict(img))
    check(L("create: x-openstack-request-id reported (%s)" % img.request_ids[0]),
          bool(img.request_ids and img.request_ids[0]), rec.describe())
    shown = gc.images.get(image_id)
    check(L("show: same image"), shown["id"] == image_id and shown["status"] == "queued"
          and shown.get("os_distro") == r.special, "got %r" % dict(shown))
    empty = gc.images.data(image_id)
    check(L("download before upload: no data (None)"), empty.wrapped is None,
          "got %r; %s" % (empty.wrapped, rec.describe()))

    # upload
    gc.images.upload(image_id, io.BytesIO(r.data), image_size=len(r.data))
    up = gc.images.get(image_id)
    md5, sha512 = hashes(r.data)
    check(L("upload %d bytes: status active, size" % len(r.data)),
          up["status"] == "active" and up["size"] == len(r.data), "got %r" % dict(up))
    check(L("upload: checksum == md5, os_hash_algo sha512, os_hash_value == sha512"),
          (up["checksum"], up["os_hash_algo"], up["os_hash_value"]) == (md5, "sha512", sha512),
          "got checksum=%r os_hash_algo=%r os_hash_value=%r" % (
              up["checksum"], up["os_hash_algo"], up["os_hash_value"]))

    # download (glanceclient verifies os_hash_value while iterating)
    got = b"".join(gc.images.data(image_id))
    check(L("download: bytes equal the upload (hash verified by glanceclient)"), got == r.data,
          "got %d bytes, expected %d; %s" % (len(got), len(r.data), rec.describe()))

    # six list images
    ids = []
    for i, name in enumerate(r.names):
        extra = {"os_distro": r.special} if i in SPECIAL else {}
        if i == PRIVATE:
            extra["visibility"] = "private"
        created = gc.images.create(name=name, disk_format="raw", container_format="bare",
                                   tags=r.tags_of(i), **extra)
        gc.images.upload(created["id"], io.BytesIO(r.blobs[i]))
        ids.append(created["id"])
    sizes = [gc.images.get(i)["size"] for i in ids]
    check(L("6 images created and uploaded, sizes %s" % sizes), sizes == SIZES, "got %s" % sizes)

    # paging
    mark = rec.mark()
    listed = gc_ids(gc.images.list(page_size=PAGE, filters={"tag": [r.list_tag]}))
    pages = rec.list_requests(mark)
    check(L("list page_size=2 tag=<run>: each of the 6 exactly once, nothing else"),
          sorted(listed) == sorted(ids), "listed %s, created %s" % (listed, ids))
    check(L("list page_size=2: next followed (%d list requests)" % len(pages)),
          len(pages) >= 3 and all("marker=" in u for u in pages[1:]), "requests: %s" % pages)

    # filters
    by_name = gc_ids(gc.images.list(filters={"name": r.names[3]}))
    check(L("filter name=<one name>: exactly that image"), by_name == [ids[3]], "got %s" % by_name)
    by_tags = gc_ids(gc.images.list(page_size=PAGE, filters={"tag": [r.list_tag, r.even_tag]}))
    check(L("filter tag=<run>&tag=<even>: exactly the 3 tagged"),
          sorted(by_tags) == sorted(ids[i] for i in EVEN), "got %s" % by_tags)
    by_prop = gc_ids(gc.images.list(filters={"os_distro": r.special}))
    check(L("filter os_distro=<value> (custom property): the 2 list images and the main one"),
          sorted(by_prop) == sorted([ids[i] for i in SPECIAL] + [image_id]), "got %s" % by_prop)
    by_size = gc_ids(gc.images.list(filters={"tag": [r.list_tag], "size_min": 4000}))
    check(L("filter size_min=4000: exactly the 3 images of 4000 bytes or more"),
          sorted(by_size) == sorted(ids[i] for i in range(6) if SIZES[i] >= 4000), "got %s" % by_size)

    # sort
    by_name_asc = gc_ids(gc.images.list(page_size=PAGE, filters={"tag": [r.list_tag]},
                                        sort_key="name", sort_dir="asc"))
    check(L("sort_key=name sort_dir=asc, pages of 2: name order"),
          by_name_asc == order(ids, r.names), "got %s, expected %s" % (by_name_asc, order(ids, r.names)))
    by_size_desc = gc_ids(gc.images.list(page_size=4, filters={"tag": [r.list_tag]}, sort="size:desc"))
    expected = order(ids, [-s for s in SIZES])
    check(L("sort=size:desc, pages of 4: size order"), by_size_desc == expected,
          "got %s, expected %s" % (by_size_desc, expected))

    # update
    new_name = r.prefix + "-renamed"
    updated = gc.images.update(image_id, name=new_name, os_version="12", imagespec_note="updated",
                               remove_props=["os_distro"])
    for what, body in (("result", updated), ("fresh GET", gc.images.get(image_id))):
        check(L("update (replace name, add os_version, replace imagespec_note, remove os_distro): "
                + what),
              body["name"] == new_name and body.get("os_version") == "12"
              and body.get("imagespec_note") == "updated" and "os_distro" not in body
              and sorted(body["tags"]) == sorted([r.tag, "alpha"]), "got %r" % dict(body))

    # tags
    gc.image_tags.update(image_id, "delta")
    tags = gc.images.get(image_id)["tags"]
    check(L("tag add delta: shown"), sorted(tags) == sorted([r.tag, "alpha", "delta"]), "got %s" % tags)
    gc.image_tags.delete(image_id, "alpha")
    tags = gc.images.get(image_id)["tags"]
    check(L("tag delete alpha: gone"), sorted(tags) == sorted([r.tag, "delta"]), "got %s" % tags)
    expect_raises(L("tag delete of a missing tag: HTTPNotFound"), rec,
                  lambda: gc.image_tags.delete(image_id, "alpha"), gexc.HTTPNotFound, 404, status)

    # tenancy
    other = glance_client(base_url, other_token, rec)
    expect_raises(L("other project: show the shared image -> HTTPNotFound"), rec,
                  lambda: other.images.get(image_id), gexc.HTTPNotFound, 404, status)
    expect_raises(L("other project: show the private image -> HTTPNotFound"), rec,
                  lambda: other.images.get(ids[PRIVATE]), gexc.HTTPNotFound, 404, status)
    theirs = gc_ids(other.images.list(page_size=PAGE, filters={"tag": [r.list_tag]}))
    theirs += gc_ids(other.images.list(filters={"tag": [r.tag]}))
    check(L("other project: list by the run's tags is empty"), theirs == [], "got %s" % theirs)
    expect_raises(L("other project: download the private image -> HTTPNotFound"), rec,
                  lambda: b"".join(other.images.data(ids[PRIVATE])), gexc.HTTPNotFound, 404, status)

    # unknown id
    e = expect_raises(L("show a random UUID -> HTTPNotFound"), rec,
                      lambda: gc.images.get(str(uuid.uuid4())), gexc.HTTPNotFound, 404, status)
    check(L("show a random UUID: the exception renders (%s)" % str(e).strip()[:60]), bool(str(e)))

    # deactivate / reactivate
    gc.images.deactivate(image_id)
    st = gc.images.get(image_id)["status"]
    check(L("deactivate: status deactivated"), st == "deactivated", "got %r" % st)
    expect_raises(L("download while deactivated (owner, not admin) -> HTTPForbidden 403"), rec,
                  lambda: b"".join(gc.images.data(image_id)), gexc.HTTPForbidden, 403, status)
    gc.images.reactivate(image_id)
    st = gc.images.get(image_id)["status"]
    check(L("reactivate: status active"), st == "active", "got %r" % st)
    got = b"".join(gc.images.data(image_id))
    check(L("download after reactivate: bytes equal the upload"), got == r.data,
          "got %d bytes; %s" % (len(got), rec.describe()))

    # delete
    gc.images.delete(image_id)
    expect_raises(L("delete, then show -> HTTPNotFound"), rec,
                  lambda: gc.images.get(image_id), gexc.HTTPNotFound, 404, status)
    left = gc_ids(gc.images.list(filters={"tag": [r.tag]}))
    check(L("deleted image no longer listed"), left == [], "got %s" % left)
    for i in ids:
        gc.images.delete(i)
    left = gc_ids(gc.images.list(filters={"tag": [r.list_tag]}))
    check(L("the 6 images deleted: the run's tag lists nothing"), left == [], "got %s" % left)


# --- openstacksdk ------------------------------------------------------------------------

def sdk_connection(base_url, token, rec):
    http = requests.Session()
    http.hooks["response"].append(rec)
    session = ksa_session.Session(auth=token_endpoint.Token(base_url, token), session=http,
                                  timeout=TIMEOUT)
    return openstack.connection.Connection(session=session, image_endpoint_override=base_url)


def sdk_ids(images):
    return [i.id for i in images]


def content(resp):
    # download_image returns the response (documented as bytes in older releases)
    return resp.content if hasattr(resp, "content") else resp


def run_openstacksdk(base_url, token, other_token, rec):
    r = Run("openstacksdk")
    L = r.label
    conn = sdk_connection(base_url, token, rec)
    status = lambda e: getattr(e, "status_code", None)  # noqa: E731

    # create (no data: create_image only POSTs, after looking the name up)
    img = conn.image.create_image(r.prefix + "-main", disk_format="raw", container_format="bare",
                                  tags=[r.tag, "alpha"], os_distro=r.special,
                                  imagespec_note="created")
    image_id = img.id
    check(L("create (endpoint %s): status queued, visibility shared, protected false, os_hidden false"
            % conn.image.get_endpoint()),
          (img.status, img.visibility, img.is_protected, img.is_hidden)
          == ("queued", "shared", False, False), "got %r; %s" % (img.to_dict(), rec.describe()))
    props = img.properties or {}
    check(L("create: size and checksum null, name/formats/properties/tags echoed"),
          img.size is None and img.checksum is None
          and (img.name, img.disk_format, img.container_format) == (r.prefix + "-main", "raw", "bare")
          and img.os_distro == r.special and props.get("imagespec_note") == "created"
          and sorted(img.tags) == sorted([r.tag, "alpha"]), "got %r" % img.to_dict())
    check(L("create: the SDK's owner_specified.openstack.* properties kept"),
          props.get("owner_specified.openstack.object") == "images/" + r.prefix + "-main"
          and props.get("owner_specified.openstack.md5") == "", "got properties %r" % props)
    shown = conn.image.get_image(image_id)
    check(L("show: same image"), shown.id == image_id and shown.status == "queued"
          and shown.os_distro == r.special, "got %r" % shown.to_dict())
    empty = conn.image.download_image(image_id)
    check(L("download before upload: 204, no body"),
          empty.status_code == 204 and not empty.content, "got %s; %s" % (empty.status_code, rec.describe()))

    # upload (Image.upload is what create_image(data=...) itself calls)
    resp = img.upload(conn.image, data=r.data)
    check(L("upload %d bytes: 204" % len(r.data)), resp.status_code == 204,
          "got %s; %s" % (resp.status_code, rec.describe()))
    up = conn.image.get_image(image_id)
    md5, sha512 = hashes(r.data)
    check(L("upload: status active, size"), up.status == "active" and up.size == len(r.data),
          "got %r" % up.to_dict())
    check(L("upload: checksum == md5, os_hash_algo sha512, os_hash_value == sha512"),
          (up.checksum, up.hash_algo, up.hash_value) == (md5, "sha512", sha512),
          "got checksum=%r os_hash_algo=%r os_hash_value=%r" % (up.checksum, up.hash_algo, up.hash_value))

    # download (the SDK verifies os_hash_value)
    got = content(conn.image.download_image(image_id))
    check(L("download: bytes equal the upload (hash verified by the SDK)"), got == r.data,
          "got %d bytes, expected %d; %s" % (len(got), len(r.data), rec.describe()))

    # six list images, each through create_image(data=...) with checksum validation
    ids = []
    for i, name in enumerate(r.names):
        extra = {"os_distro": r.special} if i in SPECIAL else {}
        if i == PRIVATE:
            extra["visibility"] = "private"
        created = conn.image.create_image(name, data=r.blobs[i], disk_format="raw",
                                          container_format="bare", tags=r.tags_of(i),
                                          validate_checksum=True, **extra)
        ids.append(created.id)
    sizes = [conn.image.get_image(i).size for i in ids]
    check(L("6 images created with data, sizes %s" % sizes), sizes == SIZES, "got %s" % sizes)
    vis = conn.image.get_image(ids[PRIVATE]).visibility
    check(L("visibility=private kept"), vis == "private", "got %r" % vis)

    # paging
    mark = rec.mark()
    listed = sdk_ids(conn.image.images(tag=r.list_tag, limit=PAGE))
    pages = rec.list_requests(mark)
    check(L("images(limit=2, tag=<run>): each of the 6 exactly once, nothing else"),
          sorted(listed) == sorted(ids), "listed %s, created %s" % (listed, ids))
    check(L("images(limit=2): next followed (%d list requests)" % len(pages)),
          len(pages) >= 3 and all("marker=" in u for u in pages[1:]), "requests: %s" % pages)

    # filters
    by_name = sdk_ids(conn.image.images(name=r.names[3]))
    check(L("filter name=<one name>: exactly that image"), by_name == [ids[3]], "got %s" % by_name)
    by_tags = sdk_ids(conn.image.images(tag=[r.list_tag, r.even_tag], limit=PAGE))
    check(L("filter tag=<run>&tag=<even>: exactly the 3 tagged"),
          sorted(by_tags) == sorted(ids[i] for i in EVEN), "got %s" % by_tags)
    by_prop = sdk_ids(conn.image.images(tag=r.list_tag, os_distro=r.special))
    check(L("filter tag (server) + os_distro (SDK client-side): the 2 images"),
          sorted(by_prop) == sorted(ids[i] for i in SPECIAL), "got %s" % by_prop)
    by_size = sdk_ids(conn.image.images(tag=r.list_tag, size_min=4000))
    check(L("filter size_min=4000: exactly the 3 images of 4000 bytes or more"),
          sorted(by_size) == sorted(ids[i] for i in range(6) if SIZES[i] >= 4000), "got %s" % by_size)

    # sort
    by_name_asc = sdk_ids(conn.image.images(tag=r.list_tag, sort_key="name", sort_dir="asc", limit=PAGE))
    check(L("sort_key=name sort_dir=asc, pages of 2: name order"),
          by_name_asc == order(ids, r.names), "got %s, expected %s" % (by_name_asc, order(ids, r.names)))
    by_size_desc = sdk_ids(conn.image.images(tag=r.list_tag, sort="size:desc", limit=4))
    expected = order(ids, [-s for s in SIZES])
    check(L("sort=size:desc, pages of 4: size order"), by_size_desc == expected,
          "got %s, expected %s" % (by_size_desc, expected))

    # update
    new_name = r.prefix + "-renamed"
    updated = conn.image.update_image(image_id, name=new_name, os_version="12",
                                      imagespec_note="updated")
    for what, body in (("result", updated), ("fresh GET", conn.image.get_image(image_id))):
        check(L("update_image (name, os_version, imagespec_note): " + what),
              body.name == new_name and body.os_version == "12"
              and (body.properties or {}).get("imagespec_note") == "updated"
              and body.os_distro == r.special and sorted(body.tags) == sorted([r.tag, "alpha"]),
              "got %r; %s" % (body.to_dict(), rec.describe()))

    # tags
    conn.image.add_tag(image_id, "delta")
    tags = conn.image.get_image(image_id).tags
    check(L("add_tag delta: shown"), sorted(tags) == sorted([r.tag, "alpha", "delta"]), "got %s" % tags)
    conn.image.remove_tag(image_id, "alpha")
    tags = conn.image.get_image(image_id).tags
    check(L("remove_tag alpha: gone"), sorted(tags) == sorted([r.tag, "delta"]), "got %s" % tags)
    expect_raises(L("remove_tag of a missing tag: NotFoundException"), rec,
                  lambda: conn.image.remove_tag(image_id, "alpha"), sdkexc.NotFoundException, 404, status)

    # tenancy
    other = sdk_connection(base_url, other_token, rec)
    expect_raises(L("other project: get_image of the shared image -> NotFoundException"), rec,
                  lambda: other.image.get_image(image_id), sdkexc.NotFoundException, 404, status)
    expect_raises(L("other project: get_image of the private image -> NotFoundException"), rec,
                  lambda: other.image.get_image(ids[PRIVATE]), sdkexc.NotFoundException, 404, status)
    theirs = sdk_ids(other.image.images(tag=r.list_tag, limit=PAGE)) + sdk_ids(other.image.images(tag=r.tag))
    check(L("other project: list by the run's tags is empty"), theirs == [], "got %s" % theirs)
    expect_raises(L("other project: download the private image -> NotFoundException"), rec,
                  lambda: other.image.download_image(ids[PRIVATE]), sdkexc.NotFoundException, 404, status)

    # unknown id
    e = expect_raises(L("get_image of a random UUID -> NotFoundException"), rec,
                      lambda: conn.image.get_image(str(uuid.uuid4())), sdkexc.NotFoundException, 404, status)
    check(L("get_image of a random UUID: the exception renders (%s)" % str(e).strip()[:60]), bool(str(e)))

    # deactivate / reactivate
    conn.image.deactivate_image(image_id)
    st = conn.image.get_image(image_id).status
    check(L("deactivate_image: status deactivated"), st == "deactivated", "got %r" % st)
    denied = conn.image.download_image(image_id, stream=True)
    denied.close()
    check(L("download while deactivated (owner, not admin): 403"), denied.status_code == 403,
          "got %s; %s" % (denied.status_code, rec.describe()))
    conn.image.reactivate_image(image_id)
    st = conn.image.get_image(image_id).status
    check(L("reactivate_image: status active"), st == "active", "got %r" % st)
    got = content(conn.image.download_image(image_id))
    check(L("download after reactivate: bytes equal the upload"), got == r.data,
          "got %d bytes; %s" % (len(got), rec.describe()))

    # delete
    conn.image.delete_image(image_id, ignore_missing=False)
    expect_raises(L("delete_image, then get_image -> NotFoundException"), rec,
                  lambda: conn.image.get_image(image_id), sdkexc.NotFoundException, 404, status)
    left = sdk_ids(conn.image.images(tag=r.tag))
    check(L("deleted image no longer listed"), left == [], "got %s" % left)
    for i in ids:
        conn.image.delete_image(i, ignore_missing=False)
    left = sdk_ids(conn.image.images(tag=r.list_tag))
    check(L("the 6 images deleted: the run's tag lists nothing"), left == [], "got %s" % left)


def main(argv):
    if len(argv) != 4 or not argv[1].startswith(("http://", "https://")):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        print("error: give the server's base URL and two tokens of different projects", file=sys.stderr)
        return 2
    base_url, token, other_token = argv[1].rstrip("/"), argv[2], argv[3]
    print("glance_clients: python-glanceclient %s and openstacksdk %s against %s (HOME=%s)" % (
        _version("python-glanceclient"), _version("openstacksdk"), base_url, _HOME), flush=True)
    for name, scenario in (("python-glanceclient", run_glanceclient), ("openstacksdk", run_openstacksdk)):
        rec = Recorder()
        try:
            scenario(base_url, token, other_token, rec)
        except CheckFailed as e:
            print("FAIL: %s" % e, file=sys.stderr)
            print("%d passed, 1 failed" % len(PASSED))
            return 1
        except Exception as e:  # the client raised where no check expected it
            print("FAIL: %s raised after check %d: %s: %s; %s" % (
                name, len(PASSED), type(e).__name__, e, rec.describe()), file=sys.stderr)
            print("%d passed, 1 failed" % len(PASSED))
            return 1
    print("%d passed, 0 failed" % len(PASSED))
    return 0


def _version(dist):
    from importlib.metadata import version
    return version(dist)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
