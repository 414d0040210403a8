"""Posting the review on a pull request, against a loopback HTTPS stand-in of the Azure DevOps threads API.

The stand-in (tests.support.pr_threads_standin) records every request with its Authorization header, and
can answer as a hostile or broken server would: redirects (to plain http, to another https origin),
throttling with Retry-After, an HTML sign-in page, JSON of the wrong shape. So the tests see exactly
where the token went, and that nothing but a real thread id counts as "posted".
"""

from __future__ import annotations

import os
import time

import pytest

from mdpool.pipelines.pr_comment import (
    MAX_COMMENT_CHARACTERS,
    RETRIES,
    CommentError,
    PullRequest,
    comment_text,
    marker,
    post_review,
)
from tests.conftest import run_mdpool
from tests.support.pr_threads_standin import BUILD_SERVICE_ID, Answer, DevOpsStandIn

PROJECT, REPOSITORY, PR = "6f0c6f5e-project", "0d1e2f3a-repository", 42
TOKEN = "pr-comment-token-7f3a"
SUMMARY = "# mdpool review\n\n- SKU: **Standard_DS3_v2 → Standard_D4s_v3**\n"
SIGN_IN_PAGE = "<!DOCTYPE html><html><head><title>Azure DevOps Services | Sign In</title></head></html>"
ME = {"id": BUILD_SERVICE_ID, "displayName": "Build Service"}  # the token's identity, as comments record an author
SOMEONE = {"id": "3f1e0000-0000-4000-8000-00000000beef", "displayName": "A contributor"}


@pytest.fixture
def devops():
    with DevOpsStandIn() as standin:
        yield standin


def pull_request(devops: DevOpsStandIn) -> PullRequest:
    return PullRequest(f"{devops.base_url}/org/", PROJECT, REPOSITORY, PR)


def post(devops: DevOpsStandIn, key: str = "config/example.yaml") -> str:
    return post_review(pull_request(devops), TOKEN, SUMMARY, key, verify=devops.ca_file, timeout=5)


def token_went_only_to_the_collection(devops: DevOpsStandIn) -> None:
    assert devops.seen and all(seen.authorization == f"Bearer {TOKEN}" for seen in devops.seen)
    assert devops.plain_http.seen == [] and devops.other_https.seen == []


def test_a_new_comment_is_posted_as_an_active_thread(devops):
    said = post(devops)
    assert said == "posted the review on pull request 42 (thread 100)"
    (thread,) = devops.threads
    assert thread["status"] == 1
    assert thread["comments"][0]["content"] == "<!-- mdpool-review config/example.yaml -->\n" + SUMMARY
    assert thread["comments"][0]["commentType"] == 1 and thread["comments"][0]["parentCommentId"] == 0
    assert [seen.method for seen in devops.seen] == ["GET", "POST"]
    assert all(seen.url.endswith("api-version=7.1") for seen in devops.seen)
    token_went_only_to_the_collection(devops)


def test_the_comment_of_an_earlier_push_is_updated_not_repeated(devops):
    devops.threads.extend(
        [
            {
                "id": 7,
                "isDeleted": True,
                "comments": [{"id": 1, "author": ME, "content": marker("config/example.yaml") + "\nold, deleted"}],
            },
            {
                "id": 8,
                "comments": [
                    {"id": 1, "author": SOMEONE, "content": "LGTM"},
                    {"id": 2, "content": marker("config/example.yaml")},
                ],
            },
            {"id": 9, "comments": [{"id": 1, "author": ME, "content": marker("config/prod.yaml") + "\nprod"}]},
            {"id": 10, "comments": [{"id": 3, "author": ME, "content": marker("config/example.yaml") + "\nold"}]},
        ]
    )
    said = post(devops)
    assert said == "updated the review comment on pull request 42 (thread 10)"
    assert devops.threads[3]["comments"][0]["content"].endswith(SUMMARY)
    assert devops.threads[2]["comments"][0]["content"].endswith("prod")  # another config's comment stays
    assert [(seen.method, seen.url.split("/org", 1)[1].split("?")[0]) for seen in devops.seen] == [
        ("GET", f"/{PROJECT}/_apis/git/repositories/{REPOSITORY}/pullRequests/42/threads"),
        ("GET", "/_apis/connectionData"),  # who the token is: only its own comment is edited
        ("PATCH", f"/{PROJECT}/_apis/git/repositories/{REPOSITORY}/pullRequests/42/threads/10/comments/3"),
    ]


@pytest.mark.parametrize("author", [SOMEONE, None, {"id": 7}, {"displayName": "Build Service"}, "Build Service"])
def test_a_marked_comment_somebody_else_wrote_is_left_alone(devops, author):
    """Anyone may start a comment with mdpool's marker: it is never edited, a new comment is posted."""
    planted = marker("config/example.yaml") + "\n[approve here](https://example.invalid)"
    comment = {"id": 3, "content": planted} | ({} if author is None else {"author": author})
    devops.threads.append({"id": 10, "comments": [comment]})
    said = post(devops)
    assert said == "posted the review on pull request 42 (thread 101)"
    assert devops.threads[0]["comments"][0]["content"] == planted
    assert [seen.method for seen in devops.seen] == ["GET", "GET", "POST"]
    token_went_only_to_the_collection(devops)


def test_the_own_identity_is_compared_as_a_guid_in_any_case(devops):
    devops.threads.append({"id": 10, "comments": [{"id": 3, "author": {"id": BUILD_SERVICE_ID.upper()}, "content": marker("c")}]})
    assert post(devops, key="c") == "updated the review comment on pull request 42 (thread 10)"


@pytest.mark.parametrize("answer", [{"authenticatedUser": {}}, {"authenticatedUser": {"id": " "}}, {}, [1]])
def test_without_an_own_identity_nothing_is_posted(devops, answer):
    devops.threads.append({"id": 10, "comments": [{"id": 3, "author": ME, "content": marker("c")}]})
    devops.script("GET", Answer(200, body={"value": devops.threads}), Answer(200, body=answer))
    with pytest.raises(CommentError, match="connectionData: the answer names no authenticated identity; nothing was posted"):
        post(devops, key="c")
    assert [seen.method for seen in devops.seen] == ["GET", "GET"]


def test_a_refusal_names_the_permission_and_never_the_token(devops):
    devops.script(
        "GET",
        Answer(403, body={"message": "TF401027: You need the Git 'PullRequestContribute' permission to perform this action."}),
    )
    with pytest.raises(CommentError) as error:
        post(devops)
    message = str(error.value)
    assert "Azure DevOps answered 403" in message
    assert "PullRequestContribute" in message and "Contribute to pull requests" in message
    assert TOKEN not in message


def test_the_token_is_only_sent_over_https():
    with pytest.raises(CommentError, match="is not https"):
        post_review(PullRequest("http://127.0.0.1:9/org/", PROJECT, REPOSITORY, PR), "secret", SUMMARY, "c", timeout=1)


# --- redirects: never followed, the token stays home ------------------------------------------------


@pytest.mark.parametrize(
    "method, status, target",
    [
        ("GET", 302, "plain_http"),
        ("GET", 301, "other_https"),
        ("POST", 307, "plain_http"),
        ("POST", 308, "other_https"),
    ],
)
def test_a_redirect_is_a_failure_and_is_not_followed(devops, method, status, target):
    sink = getattr(devops, target)
    devops.script(method, Answer(status, headers={"Location": f"{sink.base_url}/steal?x=1"}))
    with pytest.raises(CommentError) as error:
        post(devops)
    message = str(error.value)
    assert f"Azure DevOps answered {status} (a redirect to {sink.base_url}/steal?x=1); not followed" in message
    assert sink.seen == []  # nothing went there, token or not
    token_went_only_to_the_collection(devops)
    assert devops.threads == []  # and nothing claims to be posted
    assert TOKEN not in message


def test_a_redirect_to_the_same_collection_is_not_followed_either(devops):
    devops.script("GET", Answer(302, headers={"Location": f"{devops.base_url}/org/elsewhere"}))
    with pytest.raises(CommentError, match="answered 302"):
        post(devops)
    assert len(devops.seen) == 1


# --- answers that are not what the API documents: a failure, never a false "posted" ----------------------


@pytest.mark.parametrize(
    "method, answer, says",
    [
        ("GET", Answer(200, body=SIGN_IN_PAGE), "the answer (200, text/html; charset=utf-8) is not JSON; nothing was posted"),
        (
            "GET",
            Answer(203, body=SIGN_IN_PAGE),
            "Azure DevOps answered 203 Non-Authoritative Information; the job's System.AccessToken must be mapped",
        ),
        ("GET", Answer(200, body={"value": "threads"}), "the answer is not a list of threads; nothing was posted"),
        ("GET", Answer(200, body=[1, 2]), "the answer is not a list of threads"),
        ("POST", Answer(200, body={"status": 1}), "the answer has no thread id; the comment may not have been posted"),
        ("POST", Answer(200, body={"id": "100"}), "the answer has no thread id"),
        ("POST", Answer(201, body=None), "the answer has no thread id"),
        ("POST", Answer(200, body="<html>ok</html>"), "is not JSON"),
    ],
)
def test_a_wrong_answer_is_a_failure(devops, method, answer, says):
    devops.script(method, answer)
    with pytest.raises(CommentError) as error:
        post(devops)
    assert says in str(error.value)
    assert "posted the review" not in str(error.value)


def test_an_update_answered_with_something_else_is_a_failure(devops):
    devops.threads.append({"id": 10, "comments": [{"id": 3, "author": ME, "content": marker("c") + "\nold"}]})
    devops.script("PATCH", Answer(200, body={"message": "accepted"}))
    with pytest.raises(CommentError, match="the answer is not the updated comment"):
        post(devops, key="c")


# --- throttling: retried, with a bound -----------------------------------------------------------------


def test_throttling_is_retried_after_retry_after(devops):
    devops.script("GET", Answer(429, headers={"Retry-After": "1"}, body={"message": "slow down"}))
    devops.script("POST", Answer(503, headers={"Retry-After": "1"}))
    started = time.monotonic()
    assert post(devops) == "posted the review on pull request 42 (thread 100)"
    assert time.monotonic() - started >= 2  # waited as asked, twice
    assert [seen.method for seen in devops.seen] == ["GET", "GET", "POST", "POST"]
    assert len(devops.threads) == 1  # one thread, not two
    token_went_only_to_the_collection(devops)


def test_throttling_without_end_gives_up_after_the_bound(devops):
    devops.script("GET", *[Answer(429, headers={"retry-after-ms": "20"}) for _ in range(RETRIES + 5)])
    with pytest.raises(CommentError, match="Azure DevOps answered 429"):
        post(devops)
    assert len(devops.seen) == RETRIES + 1


def test_a_server_error_on_post_is_not_retried(devops):
    """A POST that failed with 500 may have made the thread: sending it again could post the review twice."""
    devops.script("POST", Answer(500, body={"message": "oops"}))
    with pytest.raises(CommentError, match="answered 500"):
        post(devops)
    assert [seen.method for seen in devops.seen] == ["GET", "POST"]


def test_a_long_summary_is_cut_with_a_pointer_to_the_artifact():
    text = comment_text("x" * (2 * MAX_COMMENT_CHARACTERS), "c")
    assert len(text) == MAX_COMMENT_CHARACTERS
    assert text.endswith("the whole summary is in the pipeline artifact `review`)*\n")


@pytest.mark.parametrize(
    "env, reason",
    [
        ({}, "not a pull-request build"),
        (
            {"SYSTEM_PULLREQUEST_PULLREQUESTID": "3", "BUILD_REPOSITORY_PROVIDER": "GitHub"},
            "the repository is on GitHub: comments are posted to Azure Repos pull requests only",
        ),
        ({"SYSTEM_PULLREQUEST_PULLREQUESTID": "3"}, "SYSTEM_COLLECTIONURI, SYSTEM_TEAMPROJECTID, BUILD_REPOSITORY_ID not set"),
    ],
)
def test_builds_without_a_pull_request_to_comment_on_say_why(env, reason):
    assert PullRequest.from_environment(env).startswith(reason)


BUILD = {"SYSTEM_COLLECTIONURI": "https://dev.azure.com/org/", "SYSTEM_TEAMPROJECTID": PROJECT, "BUILD_REPOSITORY_ID": REPOSITORY}


@pytest.mark.parametrize("value, number", [("1", 1), ("42", 42), ("2147483647", 2147483647), ("0042", 42)])
def test_a_pull_request_id_is_ascii_digits_up_to_int32(value, number):
    found = PullRequest.from_environment({**BUILD, "SYSTEM_PULLREQUEST_PULLREQUESTID": value})
    assert isinstance(found, PullRequest) and found.pull_request_id == number


@pytest.mark.parametrize(
    "value",
    [
        "0",
        "2147483648",
        "99999999999",
        "\u0664\u0662",
        "\uff14\uff12",
        "\u00b2",
        "4\u0662",
        "+42",
        " 42",
        "42\n",
        "4_2",
        "9" * 5000,
    ],
)
def test_anything_else_is_not_a_pull_request_id(value):
    """Arabic-Indic, fullwidth and superscript digits pass str.isdigit(); int() even converts the first two."""
    reason = PullRequest.from_environment({**BUILD, "SYSTEM_PULLREQUEST_PULLREQUESTID": value})
    assert isinstance(reason, str) and "not a pull request id (ASCII digits, 1 to 2147483647)" in reason
    assert len(reason) < 200


def pipeline_env(devops: DevOpsStandIn, **extra: str) -> dict[str, str]:
    return {
        "SYSTEM_COLLECTIONURI": f"{devops.base_url}/org/",
        "SYSTEM_TEAMPROJECTID": PROJECT,
        "BUILD_REPOSITORY_ID": REPOSITORY,
        "BUILD_REPOSITORY_PROVIDER": "TfsGit",
        "SYSTEM_PULLREQUEST_PULLREQUESTID": str(PR),
        "SSL_CERT_FILE": devops.ca_file,
        **extra,
    }


def test_cli_posts_with_the_token_from_the_environment(devops, tmp_path):
    summary = tmp_path / "review.md"
    summary.write_text(SUMMARY, encoding="utf-8")
    result = run_mdpool(
        "pipeline", "comment", str(summary), "--config", "config/example.yaml", env=pipeline_env(devops, SYSTEM_ACCESSTOKEN=TOKEN)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "posted the review on pull request 42 (thread 100)\n"
    assert TOKEN not in result.stdout + result.stderr
    assert devops.threads[0]["comments"][0]["content"].startswith("<!-- mdpool-review config/example.yaml -->\n")


def test_cli_without_a_token_posts_nothing_and_says_how_to_map_it(devops, tmp_path):
    summary = tmp_path / "review.md"
    summary.write_text(SUMMARY, encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if key != "SYSTEM_ACCESSTOKEN"}
    env.update(pipeline_env(devops))
    result = run_mdpool("pipeline", "comment", str(summary), env=env)
    assert result.returncode == 0, result.stderr
    assert "not posting the review: SYSTEM_ACCESSTOKEN is not set" in result.stdout
    assert devops.seen == []


@pytest.mark.parametrize(
    "answer",
    [
        Answer(403, body={"message": "TF401027: You need the Git 'PullRequestContribute' permission."}),
        "redirect",
        Answer(200, body=SIGN_IN_PAGE),
    ],
)
def test_cli_failure_is_one_line_and_exit_1(devops, tmp_path, answer):
    if answer == "redirect":
        answer = Answer(302, headers={"Location": f"{devops.plain_http.base_url}/steal"})
    devops.script("GET", answer)
    summary = tmp_path / "review.md"
    summary.write_text(SUMMARY, encoding="utf-8")
    result = run_mdpool("pipeline", "comment", str(summary), env=pipeline_env(devops, SYSTEM_ACCESSTOKEN=TOKEN))
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("posting the review failed: GET ")
    assert "Traceback" not in result.stderr and TOKEN not in result.stderr
    assert result.stdout == "" and devops.plain_http.seen == []


def test_cli_missing_summary_file(tmp_path):
    result = run_mdpool("pipeline", "comment", str(tmp_path / "nope.md"))
    assert result.returncode == 1
    assert result.stderr == f"{tmp_path / 'nope.md'}: cannot read the review summary: No such file or directory\n"


def test_a_retry_after_beyond_the_bound_is_waited_only_up_to_it(devops, monkeypatch):
    from mdpool.pipelines.pr_comment import MAX_RETRY_AFTER_SECONDS

    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)  # azure-core's transport sleeps with time.sleep
    devops.script("GET", Answer(429, headers={"Retry-After": "3600"}))  # an hour: a job would hang
    assert post(devops) == "posted the review on pull request 42 (thread 100)"
    assert waits == [MAX_RETRY_AFTER_SECONDS] and MAX_RETRY_AFTER_SECONDS == 60


def test_the_client_refuses_to_send_the_token_to_another_origin(devops):
    # the policy under every request: even a URL built wrongly never carries the token elsewhere
    from mdpool.pipelines.pr_comment import _Client

    client = _Client(TOKEN, f"{devops.base_url}/org/", devops.ca_file, 5)
    with pytest.raises(CommentError, match="not the pull request's collection; the token is not sent there"):
        client.call("GET", f"{devops.other_https.base_url}/org/x/_apis/git/repositories/r/pullRequests/42/threads")
    assert devops.other_https.seen == [] and devops.seen == []


def test_a_comment_of_100_000_characters_is_kept_whole_one_more_is_cut():
    head = marker("c") + "\n"
    whole = comment_text("x" * (100_000 - len(head)), "c")
    assert len(whole) == 100_000 and "cut here" not in whole
    cut = comment_text("x" * (100_001 - len(head)), "c")
    assert len(cut) == 100_000 and "cut here" in cut
