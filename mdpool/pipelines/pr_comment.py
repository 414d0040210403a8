"""Post the review summary on the pull request that an Azure Pipelines build validates.

Uses the Azure DevOps REST API's pull-request threads endpoint with the job's System.AccessToken
(the build service needs "Contribute to pull requests"). One comment per config: a hidden marker
finds the comment a previous push left, and that comment is updated instead of adding another, but
only when mdpool's own identity wrote it: the comment's `author.id` (Comment, IdentityRef) must be
the `authenticatedUser.id` that connectionData names for the token (Azure DevOps' Location service,
learn.microsoft.com/javascript/api/azure-devops-extension-api/connectiondata). Anyone can start a
comment with the marker; such a comment is left alone and a new one is posted.

The token goes only into the Authorization header of https requests to the collection the pipeline
named, and nowhere else: the requests go through azure-core's pipeline with redirects off
(RedirectPolicy(permit_redirects=False); its transport, RequestsTransport, never follows them
either), so a 3xx is a failure, never a second request carrying the token; a header policy adds it
only to an https URL on the collection's own origin. It is never printed, logged or put into an error
message. An answer that is not the JSON the API documents (a sign-in page, a wrong shape, a thread
without an id) is a failure, never a false "posted". Throttling (429, or 503, with Retry-After) is
retried a bounded number of times, each wait capped.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import quote, urlsplit

API_VERSION = "7.1"
MAX_COMMENT_CHARACTERS = 100_000
TIMEOUT_SECONDS = 30.0
ACTIVE = 1  # CommentThreadStatus.active
TEXT = 1  # CommentType.text
# A pull request id is an int32 in the REST API (Pull Requests - Get Pull Request By Id: pullRequestId
# "integer (int32)"), positive: ASCII digits only (str.isdigit also takes other scripts' digits).
PULL_REQUEST_ID = re.compile(r"[0-9]{1,10}")
MAX_PULL_REQUEST_ID = 2**31 - 1


class CommentError(Exception):
    """Posting failed; the message says where and why (never with the token)."""


@dataclass(frozen=True)
class PullRequest:
    collection_uri: str
    project: str
    repository_id: str
    pull_request_id: int

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> "PullRequest | str":
        """The build's pull request, or why there is none to comment on."""
        pull_request = env.get("SYSTEM_PULLREQUEST_PULLREQUESTID", "")
        if not pull_request:
            return "not a pull-request build (SYSTEM_PULLREQUEST_PULLREQUESTID is not set)"
        provider = env.get("BUILD_REPOSITORY_PROVIDER", "TfsGit")
        if provider != "TfsGit":
            return f"the repository is on {provider}: comments are posted to Azure Repos pull requests only"
        missing = [name for name in ("SYSTEM_COLLECTIONURI", "SYSTEM_TEAMPROJECTID", "BUILD_REPOSITORY_ID") if not env.get(name)]
        if missing:
            return f"{', '.join(missing)} not set: run this inside an Azure Pipelines job"
        if not PULL_REQUEST_ID.fullmatch(pull_request) or not 1 <= int(pull_request) <= MAX_PULL_REQUEST_ID:
            return (
                f"SYSTEM_PULLREQUEST_PULLREQUESTID is {pull_request[:20]!r}{'...' if len(pull_request) > 20 else ''}, "
                f"not a pull request id (ASCII digits, 1 to {MAX_PULL_REQUEST_ID})"
            )
        return cls(env["SYSTEM_COLLECTIONURI"], env["SYSTEM_TEAMPROJECTID"], env["BUILD_REPOSITORY_ID"], int(pull_request))

    @property
    def threads_url(self) -> str:
        return (
            f"{self.collection_uri.rstrip('/')}/{quote(self.project, safe='')}/_apis/git/repositories/"
            f"{quote(self.repository_id, safe='')}/pullRequests/{self.pull_request_id}/threads"
        )


def marker(key: str) -> str:
    """The hidden first line that identifies mdpool's comment for one config."""
    return f"<!-- mdpool-review {key.replace('--', '-')} -->"


def comment_text(markdown: str, key: str) -> str:
    text = f"{marker(key)}\n{markdown}"
    if len(text) > MAX_COMMENT_CHARACTERS:
        note = "\n\n*(cut here: the whole summary is in the pipeline artifact `review`)*\n"
        text = text[: MAX_COMMENT_CHARACTERS - len(note)] + note
    return text


RETRIES = 3  # throttled attempts after the first; each waits Retry-After, capped below
MAX_RETRY_AFTER_SECONDS = 60.0  # a Retry-After beyond this is waited only this long (then the bound ends it)
THROTTLED = (429, 503)  # Azure DevOps' rate limits answer 429 with Retry-After (learn.microsoft.com:
# azure/devops/integrate/concepts/rate-limits); 503 is a service busy


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


class _Client:
    """GET/POST/PATCH to the collection through azure-core's pipeline: no redirects, bounded throttling retries."""

    def __init__(self, token: str, collection_uri: str, verify: str | bool, timeout: float) -> None:
        from azure.core.pipeline import Pipeline
        from azure.core.pipeline.policies import (
            RedirectPolicy,
            RetryPolicy,
            SansIOHTTPPolicy,
        )
        from azure.core.pipeline.transport import RequestsTransport

        origin = _origin(collection_uri)

        class TokenToCollectionOnly(SansIOHTTPPolicy):
            def on_request(self, request) -> None:
                if _origin(request.http_request.url) != origin or origin[0] != "https":
                    raise CommentError(
                        f"{request.http_request.method} {request.http_request.url.split('?')[0]}: "
                        "not the pull request's collection; the token is not sent there"
                    )
                request.http_request.headers["Authorization"] = f"Bearer {token}"

        class ThrottlingRetry(RetryPolicy):
            def is_retry(self, settings, response) -> bool:  # only throttling: a POST that failed otherwise
                return (
                    response.http_response.status_code in THROTTLED  # may have made a thread already
                    and super().is_retry(settings, response)
                )

            def get_retry_after(self, response):
                wait = super().get_retry_after(response)
                return None if wait is None else min(wait, MAX_RETRY_AFTER_SECONDS)

        self._pipeline = Pipeline(
            transport=RequestsTransport(connection_verify=verify, connection_timeout=timeout, read_timeout=timeout),
            policies=[
                ThrottlingRetry(retry_total=RETRIES, retry_backoff_factor=1.0, timeout=10 * timeout),
                RedirectPolicy(permit_redirects=False),
                TokenToCollectionOnly(),
            ],
        )

    def call(self, method: str, url: str, body: Any = None, *, versioned: bool = True) -> Any:
        from azure.core.exceptions import AzureError
        from azure.core.rest import HttpRequest

        request = HttpRequest(
            method,
            f"{url}{'&' if '?' in url else '?'}api-version={API_VERSION}" if versioned else url,
            headers={"Accept": "application/json"},
            **({} if body is None else {"json": body}),
        )
        try:
            response = self._pipeline.run(request).http_response
            response.read()
        except AzureError as error:
            raise CommentError(f"{method} {url}: {_first_line(error.message)}") from None
        status = response.status_code
        if 300 <= status < 400:
            where = response.headers.get("Location", "nowhere")
            raise CommentError(
                f"{method} {url}: Azure DevOps answered {status} (a redirect to {where}); "
                "not followed: the token goes only to the collection the pipeline names"
            )
        if status >= 400 or status == 203:  # 203: the sign-in page Azure DevOps gives a token it does not take
            raise CommentError(
                f"{method} {url}: Azure DevOps answered {status} {response.reason or ''}".rstrip()
                + f"{_service_message(response.text())}{_hint(status)}"
            )
        try:
            return json.loads(response.text() or "null")
        except ValueError:
            kind = response.headers.get("Content-Type", "no content type")
            raise CommentError(f"{method} {url}: the answer ({status}, {kind}) is not JSON; nothing was posted") from None


def _first_line(text: str) -> str:
    return (text or "no answer").strip().splitlines()[0] if (text or "").strip() else "no answer"


def _service_message(text: str) -> str:
    try:
        message = json.loads(text).get("message")
    except (ValueError, AttributeError):
        return ""
    return f" ({message})" if isinstance(message, str) and message else ""


def _hint(code: int) -> str:
    if code in (401, 403, 203):
        return (
            "; the job's System.AccessToken must be mapped (env SYSTEM_ACCESSTOKEN) and the project's "
            "build service needs 'Contribute to pull requests' on the repository"
        )
    return ""


def _thread_id(answer: Any, what: str, url: str) -> int:
    if not isinstance(answer, dict) or not isinstance(answer.get("id"), int) or isinstance(answer.get("id"), bool):
        raise CommentError(f"{what} {url}: the answer has no thread id; the comment may not have been posted")
    return answer["id"]


def _own_identity(client: _Client, collection_uri: str) -> str:
    """The id of the identity the token signs in as (connectionData's authenticatedUser), lowercase."""
    # GET {collection}/_apis/connectionData, as `mdpool doctor` asks it (mdpool.doctor.checks.devops)
    url = f"{collection_uri.rstrip('/')}/_apis/connectionData"
    answer = client.call("GET", url, versioned=False)
    user = answer.get("authenticatedUser") if isinstance(answer, dict) else None
    identity = user.get("id") if isinstance(user, dict) else None
    if not isinstance(identity, str) or not identity.strip():
        raise CommentError(f"GET {url}: the answer names no authenticated identity; nothing was posted")
    return identity.strip().lower()


def _author_id(comment: dict) -> str | None:
    author = comment.get("author")
    identity = author.get("id") if isinstance(author, dict) else None
    return identity.strip().lower() if isinstance(identity, str) else None


def default_verify() -> str | bool:
    """The CA bundle: SSL_CERT_FILE when set (as OpenSSL, and so Python's ssl, read it), else requests' own."""
    return os.environ.get("SSL_CERT_FILE") or True


def post_review(
    pull_request: PullRequest,
    token: str,
    markdown: str,
    key: str,
    *,
    verify: str | bool | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> str:
    """Create or update mdpool's comment on the pull request; say which it did."""
    if urlsplit(pull_request.collection_uri).scheme != "https":
        raise CommentError(
            f"SYSTEM_COLLECTIONURI {pull_request.collection_uri!r} is not https: the token is only ever sent over https"
        )
    client = _Client(token, pull_request.collection_uri, default_verify() if verify is None else verify, timeout)
    text = comment_text(markdown, key)
    url = pull_request.threads_url
    threads = client.call("GET", url)
    if not isinstance(threads, dict) or not isinstance(threads.get("value"), list):
        raise CommentError(f"GET {url}: the answer is not a list of threads; nothing was posted")
    identity = None  # asked only when a marked comment is found
    for thread in threads["value"]:
        if not isinstance(thread, dict):
            continue
        comments = thread.get("comments")
        first = comments[0] if isinstance(comments, list) and comments and isinstance(comments[0], dict) else {}
        if not thread.get("isDeleted") and str(first.get("content", "")).startswith(marker(key)):
            identity = identity or _own_identity(client, pull_request.collection_uri)
            if _author_id(first) != identity:
                continue  # somebody else wrote the marker: never edit it
            thread_id = _thread_id(thread, "GET", url)
            if not isinstance(first.get("id"), int):
                raise CommentError(f"GET {url}: thread {thread_id}'s comment has no id; nothing was posted")
            updated = client.call("PATCH", f"{url}/{thread_id}/comments/{first['id']}", {"content": text})
            if not isinstance(updated, dict) or updated.get("id") != first["id"]:
                raise CommentError(
                    f"PATCH {url}/{thread_id}: the answer is not the updated comment; the comment may not have been updated"
                )
            return f"updated the review comment on pull request {pull_request.pull_request_id} (thread {thread_id})"
    created = client.call(
        "POST", url, {"comments": [{"parentCommentId": 0, "content": text, "commentType": TEXT}], "status": ACTIVE}
    )
    return f"posted the review on pull request {pull_request.pull_request_id} (thread {_thread_id(created, 'POST', url)})"
