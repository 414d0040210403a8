"""Posting the review on a pull request, against a loopback HTTPS stand-in of the Azure DevOps threads API.

The stand-in (tests.support.arm_standin, with custom routes) checks the bearer token on every
request, so a test that passes proves the token went into the Authorization header and nowhere else.
"""

from __future__ import annotations

import os
import ssl

import pytest

from mdpool.pipelines.pr_comment import (
    MAX_COMMENT_CHARACTERS,
    CommentError,
    PullRequest,
    comment_text,
    marker,
    post_review,
)
from tests.conftest import run_mdpool
from tests.support.arm_standin import ArmStandIn

PROJECT, REPOSITORY, PR = "6f0c6f5e-project", "0d1e2f3a-repository", 42
THREADS = rf"^/org/{PROJECT}/_apis/git/repositories/{REPOSITORY}/pullRequests/{PR}/threads"
SUMMARY = "# mdpool review\n\n- SKU: **Standard_DS3_v2 → Standard_D4s_v3**\n"


class Threads:
    """The pull request's comment threads as Azure DevOps keeps them."""

    def __init__(self, standin: ArmStandIn, existing: list[dict] | None = None, deny: bool = False) -> None:
        self.threads = existing or []
        standin.route("GET", THREADS + "$", self.list if not deny else self.forbidden)
        standin.route("POST", THREADS + "$", self.create)
        standin.route("PATCH", THREADS + r"/(\d+)/comments/(\d+)$", self.update)

    def list(self, request):
        assert request.query.get("api-version") == "7.1"
        return 200, {}, {"value": self.threads, "count": len(self.threads)}

    def forbidden(self, request):
        return 403, {}, {"message": "TF401027: You need the Git 'PullRequestContribute' permission to perform this action."}

    def create(self, request):
        thread = {"id": 100 + len(self.threads), "comments": [dict(request.body["comments"][0], id=1)],
                  "status": request.body["status"]}
        self.threads.append(thread)
        return 200, {}, thread

    def update(self, request):
        thread_id, comment_id = request.path.rsplit("/threads/", 1)[1].split("/comments/")
        thread = next(t for t in self.threads if str(t["id"]) == thread_id)
        comment = next(c for c in thread["comments"] if str(c["id"]) == comment_id)
        comment["content"] = request.body["content"]
        return 200, {}, comment


@pytest.fixture
def devops():
    with ArmStandIn() as standin:
        yield standin


def pull_request(devops: ArmStandIn) -> PullRequest:
    return PullRequest(f"{devops.base_url}/org/", PROJECT, REPOSITORY, PR)


def trusting(devops: ArmStandIn) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=devops.ca_file)


def test_a_new_comment_is_posted_as_an_active_thread(devops):
    threads = Threads(devops)
    said = post_review(pull_request(devops), devops.credential.token, SUMMARY, "config/example.yaml",
                       context=trusting(devops), timeout=5)
    assert said == "posted the review on pull request 42 (thread 100)"
    (thread,) = threads.threads
    assert thread["status"] == 1
    assert thread["comments"][0]["content"] == "<!-- mdpool-review config/example.yaml -->\n" + SUMMARY
    assert thread["comments"][0]["commentType"] == 1 and thread["comments"][0]["parentCommentId"] == 0
    assert [r.method for r in devops.requests] == ["GET", "POST"]


def test_the_comment_of_an_earlier_push_is_updated_not_repeated(devops):
    threads = Threads(devops, existing=[
        {"id": 7, "isDeleted": True, "comments": [{"id": 1, "content": marker("config/example.yaml") + "\nold, deleted"}]},
        {"id": 8, "comments": [{"id": 1, "content": "LGTM"}, {"id": 2, "content": marker("config/example.yaml")}]},
        {"id": 9, "comments": [{"id": 1, "content": marker("config/prod.yaml") + "\nprod"}]},
        {"id": 10, "comments": [{"id": 3, "content": marker("config/example.yaml") + "\nold"}]},
    ])
    said = post_review(pull_request(devops), devops.credential.token, SUMMARY, "config/example.yaml",
                       context=trusting(devops), timeout=5)
    assert said == "updated the review comment on pull request 42 (thread 10)"
    assert threads.threads[3]["comments"][0]["content"].endswith(SUMMARY)
    assert threads.threads[2]["comments"][0]["content"].endswith("prod")  # another config's comment stays
    assert [(r.method, r.path.rsplit("/threads", 1)[1]) for r in devops.requests] == [
        ("GET", ""), ("PATCH", "/10/comments/3")]


def test_a_refusal_names_the_permission_and_never_the_token(devops):
    Threads(devops, deny=True)
    with pytest.raises(CommentError) as error:
        post_review(pull_request(devops), devops.credential.token, SUMMARY, "c", context=trusting(devops), timeout=5)
    message = str(error.value)
    assert "Azure DevOps answered 403" in message
    assert "PullRequestContribute" in message and "Contribute to pull requests" in message
    assert devops.credential.token not in message


def test_the_token_is_only_sent_over_https():
    with pytest.raises(CommentError, match="is not https"):
        post_review(PullRequest("http://127.0.0.1:9/org/", PROJECT, REPOSITORY, PR), "secret", SUMMARY, "c",
                    timeout=1)


def test_a_long_summary_is_cut_with_a_pointer_to_the_artifact():
    text = comment_text("x" * (2 * MAX_COMMENT_CHARACTERS), "c")
    assert len(text) == MAX_COMMENT_CHARACTERS
    assert text.endswith("the whole summary is in the pipeline artifact `review`)*\n")


@pytest.mark.parametrize("env, reason", [
    ({}, "not a pull-request build"),
    ({"SYSTEM_PULLREQUEST_PULLREQUESTID": "3", "BUILD_REPOSITORY_PROVIDER": "GitHub"},
     "the repository is on GitHub: comments are posted to Azure Repos pull requests only"),
    ({"SYSTEM_PULLREQUEST_PULLREQUESTID": "3"}, "SYSTEM_COLLECTIONURI, SYSTEM_TEAMPROJECTID, BUILD_REPOSITORY_ID not set"),
])
def test_builds_without_a_pull_request_to_comment_on_say_why(env, reason):
    assert PullRequest.from_environment(env).startswith(reason)


def pipeline_env(devops: ArmStandIn, **extra: str) -> dict[str, str]:
    return {"SYSTEM_COLLECTIONURI": f"{devops.base_url}/org/", "SYSTEM_TEAMPROJECTID": PROJECT,
            "BUILD_REPOSITORY_ID": REPOSITORY, "BUILD_REPOSITORY_PROVIDER": "TfsGit",
            "SYSTEM_PULLREQUEST_PULLREQUESTID": str(PR), "SSL_CERT_FILE": devops.ca_file, **extra}


def test_cli_posts_with_the_token_from_the_environment(devops, tmp_path):
    threads = Threads(devops)
    summary = tmp_path / "review.md"
    summary.write_text(SUMMARY, encoding="utf-8")
    result = run_mdpool("pipeline", "comment", str(summary), "--config", "config/example.yaml",
                        env=pipeline_env(devops, SYSTEM_ACCESSTOKEN=devops.credential.token))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "posted the review on pull request 42 (thread 100)\n"
    assert devops.credential.token not in result.stdout + result.stderr
    assert threads.threads[0]["comments"][0]["content"].startswith("<!-- mdpool-review config/example.yaml -->\n")


def test_cli_without_a_token_posts_nothing_and_says_how_to_map_it(devops, tmp_path):
    summary = tmp_path / "review.md"
    summary.write_text(SUMMARY, encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if key != "SYSTEM_ACCESSTOKEN"}
    env.update(pipeline_env(devops))
    result = run_mdpool("pipeline", "comment", str(summary), env=env)
    assert result.returncode == 0, result.stderr
    assert "not posting the review: SYSTEM_ACCESSTOKEN is not set" in result.stdout
    assert devops.requests == []


def test_cli_failure_is_one_line_and_exit_1(devops, tmp_path):
    Threads(devops, deny=True)
    summary = tmp_path / "review.md"
    summary.write_text(SUMMARY, encoding="utf-8")
    result = run_mdpool("pipeline", "comment", str(summary),
                        env=pipeline_env(devops, SYSTEM_ACCESSTOKEN=devops.credential.token))
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("posting the review failed: GET ")
    assert "Traceback" not in result.stderr and devops.credential.token not in result.stderr


def test_cli_missing_summary_file(tmp_path):
    result = run_mdpool("pipeline", "comment", str(tmp_path / "nope.md"))
    assert result.returncode == 1
    assert result.stderr == f"{tmp_path / 'nope.md'}: cannot read the review summary: No such file or directory\n"
