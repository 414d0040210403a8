"""Post the review summary on the pull request that an Azure Pipelines build validates.

Uses the Azure DevOps REST API's pull-request threads endpoint with the job's System.AccessToken
(the build service needs "Contribute to pull requests"). One comment per config: a hidden marker
finds the comment a previous push left, and that comment is updated instead of adding another.
The token goes only into the Authorization header of https requests; it is never printed, logged
or put into an error message.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import quote, urlsplit

API_VERSION = "7.1"
MAX_COMMENT_CHARACTERS = 100_000
TIMEOUT_SECONDS = 30.0
ACTIVE = 1  # CommentThreadStatus.active
TEXT = 1  # CommentType.text


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
        missing = [name for name in ("SYSTEM_COLLECTIONURI", "SYSTEM_TEAMPROJECTID", "BUILD_REPOSITORY_ID")
                   if not env.get(name)]
        if missing:
            return f"{', '.join(missing)} not set: run this inside an Azure Pipelines job"
        if not pull_request.isdigit():
            return f"SYSTEM_PULLREQUEST_PULLREQUESTID is {pull_request!r}, not a number"
        return cls(env["SYSTEM_COLLECTIONURI"], env["SYSTEM_TEAMPROJECTID"], env["BUILD_REPOSITORY_ID"],
                   int(pull_request))

    @property
    def threads_url(self) -> str:
        return (f"{self.collection_uri.rstrip('/')}/{quote(self.project, safe='')}/_apis/git/repositories/"
                f"{quote(self.repository_id, safe='')}/pullRequests/{self.pull_request_id}/threads")


def marker(key: str) -> str:
    """The hidden first line that identifies mdpool's comment for one config."""
    return f"<!-- mdpool-review {key.replace('--', '-')} -->"


def comment_text(markdown: str, key: str) -> str:
    text = f"{marker(key)}\n{markdown}"
    if len(text) > MAX_COMMENT_CHARACTERS:
        note = "\n\n*(cut here: the whole summary is in the pipeline artifact `review`)*\n"
        text = text[: MAX_COMMENT_CHARACTERS - len(note)] + note
    return text


class _Client:
    def __init__(self, token: str, context: ssl.SSLContext | None, timeout: float) -> None:
        self._token = token
        self._context = context
        self._timeout = timeout

    def call(self, method: str, url: str, body: Any = None) -> Any:
        request = urllib.request.Request(
            f"{url}{'&' if '?' in url else '?'}api-version={API_VERSION}",
            method=method,
            data=None if body is None else json.dumps(body).encode("utf-8"),
            headers={"Authorization": f"Bearer {self._token}", "Accept": "application/json",
                     "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout, context=self._context) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            raise CommentError(f"{method} {url}: Azure DevOps answered {error.code} {error.reason}"
                               f"{_service_message(error)}{_hint(error.code)}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise CommentError(f"{method} {url}: {reason}") from None
        except ValueError:
            raise CommentError(f"{method} {url}: the answer is not JSON") from None


def _service_message(error: urllib.error.HTTPError) -> str:
    try:
        message = json.loads(error.read()).get("message")
    except (ValueError, AttributeError, OSError):
        return ""
    return f" ({message})" if isinstance(message, str) and message else ""


def _hint(code: int) -> str:
    if code in (401, 403):
        return ("; the job's System.AccessToken must be mapped (env SYSTEM_ACCESSTOKEN) and the project's "
                "build service needs 'Contribute to pull requests' on the repository")
    return ""


def post_review(pull_request: PullRequest, token: str, markdown: str, key: str, *,
                context: ssl.SSLContext | None = None, timeout: float = TIMEOUT_SECONDS) -> str:
    """Create or update mdpool's comment on the pull request; say which it did."""
    if urlsplit(pull_request.collection_uri).scheme != "https":
        raise CommentError(f"SYSTEM_COLLECTIONURI {pull_request.collection_uri!r} is not https: "
                           "the token is only ever sent over https")
    client = _Client(token, context, timeout)
    text = comment_text(markdown, key)
    threads = client.call("GET", pull_request.threads_url) or {}
    for thread in threads.get("value", []):
        first = (thread.get("comments") or [{}])[0]
        if not thread.get("isDeleted") and str(first.get("content", "")).startswith(marker(key)):
            url = f"{pull_request.threads_url}/{thread['id']}/comments/{first['id']}"
            client.call("PATCH", url, {"content": text})
            return f"updated the review comment on pull request {pull_request.pull_request_id} (thread {thread['id']})"
    created = client.call("POST", pull_request.threads_url,
                          {"comments": [{"parentCommentId": 0, "content": text, "commentType": TEXT}],
                           "status": ACTIVE})
    return (f"posted the review on pull request {pull_request.pull_request_id} "
            f"(thread {(created or {}).get('id', '?')})")
