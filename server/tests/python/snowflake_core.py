"""Drive snowflake-core (the official Snowflake Python API) against imagespec-server, unmodified.

Usage:
    python snowflake_core.py <base_url>          e.g. python snowflake_core.py http://127.0.0.1:8080

The client is pointed at the server the way shared/reference/snowflake.md §8.3 describes:
`RESTRoot(RESTConnection(host, port, token_type, token, protocol="http"))` skips the connector
login entirely. `RESTRoot` does not run `Root.__init__`, so two attributes that it would create
are set here: a no-op telemetry client and the `databases` collection. Nothing in the client is
patched. Two roots are used: the session-token form (`Authorization: Snowflake Token="..."`)
for alice, and the PAT form (`Bearer` + `X-Snowflake-Authorization-Token-Type:
PAT_WITH_EXTERNAL_SESSION_ID`) for bob, in another account. The tokens are the server's
development set (server/demo/credentials.toml).

Checks, in order (one line per check; the first failure prints `FAIL: ...` to stderr and exits
1; success ends with `N passed, 0 failed`):
  containers    databases.create / schemas.create with if_not_exists, fetch them back
  create        image_repositories.create (error_if_exists) -> a resource
  list          iter() lists it with the upper-cased name
  like          iter(like=...) case-insensitive, `%` and `_`; a pattern matching nothing
  fetch         every field: name, database_name, schema_name, created_on (a datetime),
                repository_url (host/db/schema/repo, no scheme), owner, owner_role_type
  list images   an empty list for a new repository
  conflict      create again -> ConflictError (409) with a request id
  if_not_exists create again -> no error, nothing changed
  or_replace    create again -> no error, a new created_on
  not found     fetch of a missing repository -> NotFoundError (404); under a missing schema too
  drop          drop() then fetch -> NotFoundError; drop(if_exists=True) of a missing one is fine;
                drop() of a missing one -> NotFoundError
  tenancy       bob (another account, PAT token) does not see alice's database
  async         the low-level API with `X-Imagespec-Async: true`: the client polls the 202's
                Location and returns the final result (create and fetch)
  paging        the low-level list with `X-Imagespec-Page-Size: 2`: the client follows Link to
                every page
  bad token     an unknown token -> UnauthorizedError (401)

HOME is pointed at a throw-away directory (the connector may write there); NO_PROXY covers
loopback; `_SNOWFLAKE_PRINT_VERBOSE_STACK_TRACE` keeps tracebacks visible.
"""

import atexit
import datetime
import os
import shutil
import sys
import tempfile
import uuid

_HOME = tempfile.mkdtemp(prefix="snowflake-core-home-")
atexit.register(shutil.rmtree, _HOME, True)
os.environ["HOME"] = _HOME
for _var in ("NO_PROXY", "no_proxy"):
    os.environ[_var] = "127.0.0.1,localhost"
os.environ["_SNOWFLAKE_PRINT_VERBOSE_STACK_TRACE"] = "true"

from urllib.parse import urlparse  # noqa: E402

from snowflake.core import CreateMode, RESTConnection, RESTRoot  # noqa: E402
from snowflake.core._common.models import TokenType  # noqa: E402
from snowflake.core.database import Database, DatabaseCollection  # noqa: E402
from snowflake.core.exceptions import (  # noqa: E402
    ConflictError,
    NotFoundError,
    UnauthorizedError,
)
from snowflake.core.image_repository import ImageRepository  # noqa: E402
from snowflake.core.image_repository._generated.api.image_repository_api import (  # noqa: E402
    ImageRepositoryApi,
)
from snowflake.core.image_repository._generated.models.tag_assignment import (  # noqa: E402
    TagAssignment,
)
from snowflake.core.image_repository._generated.models.tag_reference import (  # noqa: E402
    TagReference,
)
from snowflake.core.schema import Schema  # noqa: E402

PASSED = 0


class _NoTelemetry:
    def safe_send(self, *args, **kwargs):
        pass


def root(base, token, token_type=TokenType.SESSION_TOKEN, session_id=None):
    url = urlparse(base)
    conn = RESTConnection(url.hostname, url.port, token_type, token, session_id, protocol="http")
    r = RESTRoot(conn)
    r._telemetry_client = _NoTelemetry()
    r._databases = DatabaseCollection(r)
    return r


def check(name, ok, detail=""):
    global PASSED
    if not ok:
        print(f"FAIL: {name}: {detail}", file=sys.stderr)
        sys.exit(1)
    PASSED += 1
    print(f"ok   {name}")


def raises(name, exc_type, fn, status):
    try:
        fn()
    except exc_type as e:
        check(name, e.status == status and e.request_id not in (None, "", "missing"),
              f"status {e.status}, request id {e.request_id!r}")
        return
    except Exception as e:  # noqa: BLE001
        check(name, False, f"raised {type(e).__name__}: {e}")
    check(name, False, f"no {exc_type.__name__} raised")


def main(base):
    alice = root(base, "alice-snowflake-token")
    bob = root(base, "bob-snowflake-token", TokenType.EXTERNAL_SESSION_WITH_PAT, "spark-1")
    suffix = uuid.uuid4().hex[:8]
    db_name = f"test_db_{suffix}"

    alice.databases.create(Database(name=db_name), mode=CreateMode.if_not_exists)
    db = alice.databases[db_name]
    db.schemas.create(Schema(name="public"), mode=CreateMode.if_not_exists)
    fetched_db = db.fetch()
    check("containers", fetched_db.name == db_name.upper()
          and db.schemas["public"].fetch().name == "PUBLIC", f"{fetched_db.name}")

    repos = db.schemas["public"].image_repositories
    resource = repos.create(ImageRepository(name="repo1"))
    check("create", resource is not None)

    names = [r.name for r in repos.iter()]
    check("list", names == ["REPO1"], names)

    repos.create(ImageRepository(name="other_repo"))
    for like, expected in [("REP%", ["REPO1"]), ("rE_o1", ["REPO1"]), ("%repo%", ["OTHER_REPO", "REPO1"]),
                           ("zzz%", [])]:
        got = sorted(r.name for r in repos.iter(like=like))
        check(f"like {like}", got == expected, got)

    r = repos["repo1"].fetch()
    check("fetch", r.name == "REPO1" and r.database_name == db_name.upper() and r.schema_name == "PUBLIC"
          and isinstance(r.created_on, datetime.datetime)
          and r.repository_url.endswith(f".registry.snowflakecomputing.com/{db_name}/public/repo1")
          and "://" not in r.repository_url
          and r.owner == "ACCOUNTADMIN" and r.owner_role_type == "ROLE", repr(r))

    images = list(repos["repo1"].list_images_in_repository())
    check("list images", images == [], images)

    raises("conflict", ConflictError, lambda: repos.create(ImageRepository(name="REPO1")), 409)

    repos.create(ImageRepository(name="repo1"), mode=CreateMode.if_not_exists)
    again = repos["repo1"].fetch()
    check("if_not_exists", again.created_on == r.created_on, f"{again.created_on} != {r.created_on}")

    repos.create(ImageRepository(name="repo1"), mode=CreateMode.or_replace)
    replaced = repos["repo1"].fetch()
    check("or_replace", replaced.created_on >= r.created_on, f"{replaced.created_on}")

    raises("not found", NotFoundError, lambda: repos["missing"].fetch(), 404)
    raises("missing schema", NotFoundError,
           lambda: list(db.schemas["nosuch"].image_repositories.iter()), 404)

    repos["other_repo"].drop()
    raises("drop", NotFoundError, lambda: repos["other_repo"].fetch(), 404)
    repos["other_repo"].drop(if_exists=True)
    check("drop if_exists", True)
    raises("drop missing", NotFoundError, lambda: repos["other_repo"].drop(), 404)

    raises("tenancy", NotFoundError, lambda: bob.databases[db_name].fetch(), 404)

    api = ImageRepositoryApi(root=alice, resource_class=None, sproc_client=None)
    async_headers = {"X-Imagespec-Async": "true"}
    created = api.create_image_repository(db_name, "public", ImageRepository(name="slowrepo")._to_model(),
                                          _headers=async_headers)
    check("async create", created is not None and created.status == "Request successfully completed",
          repr(created))
    slow = api.fetch_image_repository(db_name, "public", "slowrepo", _headers=async_headers)
    check("async fetch", slow.name == "SLOWREPO", repr(slow))
    raises("async not found", NotFoundError,
           lambda: api.fetch_image_repository(db_name, "public", "nope", _headers=async_headers), 404)

    for n in ("p1", "p2", "p3", "p4"):
        repos.create(ImageRepository(name=n))
    paged = api.list_image_repositories(db_name, "public", _headers={"X-Imagespec-Page-Size": "2"})
    got = [x.name for x in paged]
    check("paging", got == ["P1", "P2", "P3", "P4", "REPO1", "SLOWREPO"], got)

    # The tag custom methods, through the client's generated API (snowflake-core has no
    # resource-level wrapper for them yet).
    tags = [TagAssignment(tag_name="cost_center", tag_value="finance"),
            TagAssignment(tag_database="GOV", tag_schema="TAGS", tag_name="owner", tag_value="data")]
    api.set_tags(db_name, "public", "repo1", tags)
    got = [(t.tag_database, t.tag_schema, t.tag_name, t.tag_value, t.level)
           for t in api.get_tags(db_name, "public", "repo1", with_lineage=False)]
    check("set/get tags", got == [("GOV", "TAGS", "OWNER", "data", "IMAGE REPOSITORY"),
                                  (db_name.upper(), "PUBLIC", "COST_CENTER", "finance", "IMAGE REPOSITORY")], got)
    api.unset_tags(db_name, "public", "repo1", [TagReference(tag_name="cost_center")])
    got = [t.tag_name for t in api.get_tags(db_name, "public", "repo1")]
    check("unset tags", got == ["OWNER"], got)
    raises("tags of a missing repository", NotFoundError,
           lambda: api.get_tags(db_name, "public", "nope"), 404)
    api.set_tags(db_name, "public", "nope", tags, if_exists=True)
    check("set tags if_exists", True)

    stranger = root(base, "no-such-token")
    raises("bad token", UnauthorizedError, lambda: stranger.databases[db_name].fetch(), 401)

    alice.databases[db_name].drop()
    print(f"{PASSED} passed, 0 failed")


if __name__ == "__main__":
    main(sys.argv[1])
