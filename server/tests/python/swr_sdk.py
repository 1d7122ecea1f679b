"""Drive the official Huawei Cloud Python SDK (SWR v2) against imagespec-server, two regions.

Usage:
    python swr_sdk.py <home_url> <east_url>

<home_url> serves SWR region cn-north-4 (the server's main address) and <east_url> serves
cn-east-3 (the address the server prints as `SWR region cn-east-3: ...`). Each client is built
exactly as against the real cloud, with nothing but that region's endpoint:

    SwrClient.new_builder()
        .with_credentials(BasicCredentials(ak, sk, project_id))
        .with_endpoints([region_url])
        .build()

Every SDK request is AK/SK signed (SDK-HMAC-SHA256) with the development credentials
(server/demo/credentials.toml), so the server must run without `--credentials`. Images are
pushed through the server's documented admin endpoint (`PUT /admin/swr/.../tags/{tag}`, with
`requests` and a token), since pushing is the registry protocol, not this API.

The scenario is the seed's (001): set up a namespace and a repository with tags, synchronize
them to another region, and see them arrive in the target region's namespace through that
region's own API; then `override`, the job history, automatic rules, and each documented
error. SWR's `{"errorCode", "errorMessage"}` body is not one of the shapes the SDK's default
exception handler recognises, so for SWR errors the SDK reports `error_code` = the HTTP status
and `error_msg` = the raw body (reference §5); the checks read the SWR code from there. The
gateway's `APIGW.0301` body is parsed by the SDK itself.

One line is printed per check; the first failure prints `FAIL: ...` and exits 1; success ends
with `N passed, 0 failed`. Names carry a random suffix, so the script can run twice against
the same server. HOME is a throw-away directory (the SDK writes $HOME/.huaweicloud).
"""

import atexit
import json
import os
import shutil
import sys
import tempfile
import uuid

_HOME = tempfile.mkdtemp(prefix="swr-sdk-home-")
atexit.register(shutil.rmtree, _HOME, True)
os.environ["HOME"] = _HOME
for _var in ("NO_PROXY", "no_proxy"):
    _old = os.environ.get(_var, "")
    os.environ[_var] = ",".join(p for p in ("127.0.0.1", "localhost", "::1", _old) if p)
for _var in list(os.environ):
    if _var.startswith("HUAWEICLOUD_SDK_"):
        del os.environ[_var]

import requests  # noqa: E402
from huaweicloudsdkcore.auth.credentials import BasicCredentials  # noqa: E402
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException, SdkException  # noqa: E402
from huaweicloudsdkswr.v2 import (  # noqa: E402
    CreateImageSyncRepoRequest,
    CreateImageSyncRepoRequestBody,
    CreateManualImageSyncRepoRequest,
    CreateManualImageSyncRepoRequestBody,
    CreateNamespaceRequest,
    CreateNamespaceRequestBody,
    CreateRepoRequest,
    CreateRepoRequestBody,
    DeleteImageSyncRepoRequest,
    DeleteImageSyncRepoRequestBody,
    DeleteNamespacesRequest,
    DeleteRepoRequest,
    DeleteRepoTagRequest,
    ListImageAutoSyncReposDetailsRequest,
    ListNamespacesRequest,
    ListReposDetailsRequest,
    ListRepositoryTagsRequest,
    ListSyncRegionsRequest,
    ShowNamespaceRequest,
    ShowRepositoryRequest,
    ShowRepoTagRequest,
    ShowSyncJobRequest,
    SwrClient,
)

ALICE_AK = "ALICEAK0000000000001"
ALICE_SK = "alice-secret-key-0000000000000000000001"
ALICE_PROJECT = "0123456789abcdef0123456789abcdef"
ALICE_TOKEN = "alice-token"
BOB_AK = "BOBAK000000000000001"
BOB_SK = "bob-secret-key-00000000000000000000001"
BOB_PROJECT = "fedcba9876543210fedcba9876543210"
EAST = "cn-east-3"


class CheckFailed(Exception):
    pass


PASSED = []


def check(label, condition, detail=""):
    if not condition:
        raise CheckFailed("%s: %s" % (label, detail))
    PASSED.append(label)
    print("ok %2d - %s" % (len(PASSED), label), flush=True)


def client(url, ak=ALICE_AK, sk=ALICE_SK, project=ALICE_PROJECT):
    return (SwrClient.new_builder()
            .with_credentials(BasicCredentials(ak, sk, project))
            .with_endpoints([url])
            .build())


def push(url, ns, repo, tag, digest=None):
    """The admin push (the fake's `docker push`); `/` in the repository sent as `$`."""
    body = {"digest": digest, "size": 1024} if digest else None
    r = requests.put("%s/admin/swr/namespaces/%s/repos/%s/tags/%s" % (url, ns, repo.replace("/", "$"), tag),
                     headers={"X-Auth-Token": ALICE_TOKEN, "Content-Type": "application/json"},
                     data=json.dumps(body) if body else b"")
    if r.status_code not in (200, 201):
        raise CheckFailed("push %s/%s:%s -> %s %s" % (ns, repo, tag, r.status_code, r.text))
    return r.json()["digest"]


def expect_error(label, call, status, code):
    """`call` must raise ClientRequestException with `status`, and `code` in the body."""
    try:
        result = call()
    except ClientRequestException as e:
        found = code in (e.error_code or "") or code in (e.error_msg or "")
        check(label, e.status_code == status and found and bool(e.request_id),
              "expected %s with %s and a request_id, got %s error_code=%r error_msg=%r request_id=%r"
              % (status, code, e.status_code, e.error_code, e.error_msg, e.request_id))
        return e
    except SdkException as e:
        raise CheckFailed("%s: expected ClientRequestException %s %s, got %r" % (label, status, code, e))
    raise CheckFailed("%s: expected %s %s, but the call succeeded: %r" % (label, status, code, result))


def tag_names(resp):
    # An empty JSON array comes back as None (the SDK's deserializer skips empty data).
    return [t.tag for t in (resp.body or [])]


def run(home_url, east_url):
    home, east = client(home_url), client(east_url)
    suffix = uuid.uuid4().hex[:6]
    ns, target, repo = "sdk-" + suffix, "sdk-dr-" + suffix, "team/app"

    regions = home.list_sync_regions(ListSyncRegionsRequest())
    check("list_sync_regions at home offers cn-east-3",
          EAST in [r.region_id for r in (regions.body or [])], repr(regions))
    east_regions = east.list_sync_regions(ListSyncRegionsRequest())
    check("list_sync_regions at cn-east-3 offers cn-north-4, not itself",
          [r.region_id for r in east_regions.body].count("cn-north-4") == 1
          and EAST not in [r.region_id for r in east_regions.body], repr(east_regions))

    created = home.create_namespace(CreateNamespaceRequest(body=CreateNamespaceRequestBody(namespace=ns)))
    check("create_namespace: 201", created.status_code == 201, repr(created))
    east.create_namespace(CreateNamespaceRequest(body=CreateNamespaceRequestBody(namespace=target)))
    shown = home.show_namespace(ShowNamespaceRequest(namespace=ns))
    check("show_namespace: name and auth 7", (shown.name, shown.auth) == (ns, 7), repr(shown))
    listed = home.list_namespaces(ListNamespacesRequest(filter="namespace::%s" % ns))
    check("list_namespaces with filter: exactly the namespace",
          [n.name for n in listed.namespaces] == [ns], repr(listed))
    check("namespaces are per region: the target namespace is not at home",
          target not in [n.name for n in home.list_namespaces(ListNamespacesRequest()).namespaces or []])

    r = home.create_repo(CreateRepoRequest(namespace=ns, body=CreateRepoRequestBody(
        repository=repo, is_public=True, category="linux", description="from the SDK")))
    check("create_repo with a slash in the name: 201", r.status_code == 201, repr(r))
    shown = home.show_repository(ShowRepositoryRequest(namespace=ns, repository=repo))
    check("show_repository (the SDK sends team%2Fapp)", shown.name == repo and shown.category == "linux", repr(shown))
    shown = home.show_repository(ShowRepositoryRequest(namespace=ns, repository="team$app"))
    check("show_repository with $ for /", shown.name == repo, repr(shown))

    digests = {t: push(home_url, ns, repo, t) for t in ("v1", "v2", "v3")}
    tags = home.list_repository_tags(ListRepositoryTagsRequest(
        namespace=ns, repository=repo, limit="2", offset="0", order_column="tag", order_type="asc"))
    check("list_repository_tags: first page and Content-Range",
          tag_names(tags) == ["v1", "v2"] and tags.content_range == "0-2/3",
          "%r %r" % (tag_names(tags), tags.content_range))
    repos = home.list_repos_details(ListReposDetailsRequest(namespace=ns, limit="10", offset="0"))
    check("list_repos_details: the repository with its tags and Content-Range",
          [x.name for x in repos.body] == [repo] and sorted(repos.body[0].tags) == ["v1", "v2", "v3"]
          and repos.content_range == "0-1/1", repr(repos))

    # The seed's manual sync, then its success check in the target region.
    synced = home.create_manual_image_sync_repo(CreateManualImageSyncRepoRequest(
        namespace=ns, repository=repo, body=CreateManualImageSyncRepoRequestBody(
            image_tag=["v1", "v2"], remote_namespace=target, remote_region_id=EAST)))
    check("create_manual_image_sync_repo: 200 and nothing left unsynced",
          synced.status_code == 200 and not synced.body, repr(synced))
    arrived = east.list_repository_tags(ListRepositoryTagsRequest(namespace=target, repository=repo))
    check("the tags arrived in the target region's namespace",
          sorted(tag_names(arrived)) == ["v1", "v2"], repr(arrived))
    v1 = east.show_repo_tag(ShowRepoTagRequest(namespace=target, repository=repo, tag="v1"))
    check("show_repo_tag in the target: same digest, target path",
          v1.digest == digests["v1"] and v1.path.startswith("swr.cn-east-3."), repr(v1))

    # override: a different image under v1 in the target is kept unless override is true.
    other = "sha256:" + "e" * 64
    push(east_url, target, repo, "v1", other)
    kept = home.create_manual_image_sync_repo(CreateManualImageSyncRepoRequest(
        namespace=ns, repository=repo, body=CreateManualImageSyncRepoRequestBody(
            image_tag=["v1"], override=False, remote_namespace=target, remote_region_id=EAST)))
    now = east.show_repo_tag(ShowRepoTagRequest(namespace=target, repository=repo, tag="v1")).digest
    check("override false: v1 reported unsynced, the target image kept",
          kept.body == ["v1"] and now == other, "%r %r" % (kept.body, now))
    home.create_manual_image_sync_repo(CreateManualImageSyncRepoRequest(
        namespace=ns, repository=repo, body=CreateManualImageSyncRepoRequestBody(
            image_tag=["v1"], override=True, remote_namespace=target, remote_region_id=EAST)))
    now = east.show_repo_tag(ShowRepoTagRequest(namespace=target, repository=repo, tag="v1")).digest
    check("override true: the target image replaced", now == digests["v1"], now)

    jobs = home.show_sync_job(ShowSyncJobRequest(namespace=ns, repository=repo, filter="limit::10|offset::0|order::asc"))
    check("show_sync_job: one job per tag per sync, in order, with Content-Range",
          [(j.tag, j.status) for j in jobs.body] == [("v1", "success"), ("v2", "success"), ("v1", "existed"), ("v1", "success")]
          and jobs.content_range == "0-4/4",
          "%r %r" % ([(j.tag, j.status) for j in jobs.body], jobs.content_range))

    # Automatic rules: later pushes are copied.
    home.create_image_sync_repo(CreateImageSyncRepoRequest(namespace=ns, repository=repo, body=CreateImageSyncRepoRequestBody(
        remote_region_id=EAST, remote_namespace=target, sync_auto=True)))
    rules = home.list_image_auto_sync_repos_details(ListImageAutoSyncReposDetailsRequest(namespace=ns, repository=repo))
    check("create/list auto-sync rule", [(x.remote_region_id, x.sync_auto) for x in rules.body] == [(EAST, True)], repr(rules))
    push(home_url, ns, repo, "v4")
    arrived = east.list_repository_tags(ListRepositoryTagsRequest(namespace=target, repository=repo, tag="v4"))
    check("a push after the rule reaches the target", tag_names(arrived) == ["v4"], repr(arrived))
    home.delete_image_sync_repo(DeleteImageSyncRepoRequest(namespace=ns, repository=repo, body=DeleteImageSyncRepoRequestBody(
        remote_region_id=EAST, remote_namespace=target)))
    expect_error("delete_image_sync_repo twice: 400 SVCSTG.SWR.4001158", lambda: home.delete_image_sync_repo(
        DeleteImageSyncRepoRequest(namespace=ns, repository=repo, body=DeleteImageSyncRepoRequestBody(
            remote_region_id=EAST, remote_namespace=target))), 400, "SVCSTG.SWR.4001158")

    # The documented errors.
    expect_error("create_namespace again: 409", lambda: home.create_namespace(
        CreateNamespaceRequest(body=CreateNamespaceRequestBody(namespace=ns))), 409, "SVCSTG.SWR.4090060")
    expect_error("create_namespace with a bad name: 400", lambda: home.create_namespace(
        CreateNamespaceRequest(body=CreateNamespaceRequestBody(namespace="Bad__ns"))), 400, "SVCSTG.SWR.4001028")
    expect_error("create_repo with a bad name: 400", lambda: home.create_repo(CreateRepoRequest(
        namespace=ns, body=CreateRepoRequestBody(repository="a//b", is_public=False))), 400, "SVCSTG.SWR.4001029")
    expect_error("show_repository of a missing repository: 404", lambda: home.show_repository(
        ShowRepositoryRequest(namespace=ns, repository="nope")), 404, "SVCSTG.SWR.4040010")
    expect_error("show_namespace of a missing namespace: 404", lambda: home.show_namespace(
        ShowNamespaceRequest(namespace="absent-" + suffix)), 404, "SVCSTG.SWR.4040058")
    expect_error("show_repo_tag of a missing tag: 404", lambda: home.show_repo_tag(
        ShowRepoTagRequest(namespace=ns, repository=repo, tag="nope")), 404, "SVCSTG.SWR.4040048")
    expect_error("sync with an empty imageTag: 400", lambda: home.create_manual_image_sync_repo(
        CreateManualImageSyncRepoRequest(namespace=ns, repository=repo, body=CreateManualImageSyncRepoRequestBody(
            image_tag=[], remote_namespace=target, remote_region_id=EAST))), 400, "SVCSTG.SWR.4000014")
    expect_error("sync of a missing tag: 404", lambda: home.create_manual_image_sync_repo(
        CreateManualImageSyncRepoRequest(namespace=ns, repository=repo, body=CreateManualImageSyncRepoRequestBody(
            image_tag=["nope"], remote_namespace=target, remote_region_id=EAST))), 404, "SVCSTG.SWR.4040048")
    expect_error("sync to an unknown region: 400", lambda: home.create_manual_image_sync_repo(
        CreateManualImageSyncRepoRequest(namespace=ns, repository=repo, body=CreateManualImageSyncRepoRequestBody(
            image_tag=["v1"], remote_namespace=target, remote_region_id="mars-1"))), 400, "SVCSTG.SWR.4000014")
    expect_error("show_sync_job without limit: 400", lambda: home.show_sync_job(
        ShowSyncJobRequest(namespace=ns, repository=repo, filter="offset::0")), 400, "SVCSTG.SWR.4001014")
    expect_error("delete_namespaces of a namespace with repositories: 406", lambda: home.delete_namespaces(
        DeleteNamespacesRequest(namespace=ns)), 406, "SVCSTG.SWR.4060074")
    expect_error("a wrong SK: 401 APIGW.0301 parsed by the SDK", lambda: client(home_url, sk="wrong").list_namespaces(
        ListNamespacesRequest()), 401, "APIGW.0301")
    bob = client(home_url, BOB_AK, BOB_SK, BOB_PROJECT)
    expect_error("another account cannot see the namespace: 404", lambda: bob.show_namespace(
        ShowNamespaceRequest(namespace=ns)), 404, "SVCSTG.SWR.4040058")

    # Clean up, through the API.
    for t in ("v1", "v2", "v3", "v4"):
        home.delete_repo_tag(DeleteRepoTagRequest(namespace=ns, repository=repo, tag=t))
    check("delete_repo_tag: all tags gone",
          not home.list_repository_tags(ListRepositoryTagsRequest(namespace=ns, repository=repo)).body)
    check("delete_repo: 204", home.delete_repo(DeleteRepoRequest(namespace=ns, repository=repo)).status_code == 204)
    check("delete_namespaces: 204", home.delete_namespaces(DeleteNamespacesRequest(namespace=ns)).status_code == 204)
    east.delete_repo(DeleteRepoRequest(namespace=target, repository=repo))
    east.delete_namespaces(DeleteNamespacesRequest(namespace=target))


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        run(sys.argv[1].rstrip("/"), sys.argv[2].rstrip("/"))
    except CheckFailed as e:
        print("FAIL: %s" % e, file=sys.stderr)
        print("%d passed, 1 failed" % len(PASSED))
        return 1
    except SdkException as e:
        print("FAIL: unexpected SDK exception: %r" % (e,), file=sys.stderr)
        print("%d passed, 1 failed" % len(PASSED))
        return 1
    print("%d passed, 0 failed" % len(PASSED))
    return 0


if __name__ == "__main__":
    sys.exit(main())
