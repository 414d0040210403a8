"""How the checks reach Azure: ARM through the image builder's client, Graph and Azure DevOps through
azure-core pipelines with a bearer token for each one's own audience.

Every request goes through azure-core with its production retry policy (throttling and 5xx are
retried with back-off). A token is asked for the audience of the endpoint it is sent to, and only
over https: azure-core's BearerTokenCredentialPolicy refuses plain http, the overrides below must be
https, and redirects are not followed (a redirect would carry the request elsewhere).

The endpoints are injectable for proxies and the tests' loopback stand-ins, each with its CA bundle:
MDPOOL_ARM_ENDPOINT / MDPOOL_ARM_CA_BUNDLE (shared with `mdpool images build`, see
mdpool.imagebuild.builder.Connection), MDPOOL_GRAPH_ENDPOINT / MDPOOL_GRAPH_CA_BUNDLE, and
MDPOOL_DEVOPS_ENDPOINT / MDPOOL_DEVOPS_CA_BUNDLE (replaces scheme and host of each organization URL).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from mdpool.imagebuild.builder import Connection

GRAPH_ENDPOINT = "https://graph.microsoft.com"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
# The Azure DevOps resource's application id: the audience of Entra tokens for its REST API
# (learn.microsoft.com/azure/devops/integrate/get-started/authentication/entra-oauth: scope 499b84ac-.../.default).
DEVOPS_SCOPE = "499b84ac-1321-427f-aa17-267ca6975798/.default"


class Unchecked(Exception):
    """A check could not ask Azure (denied, unreachable, unexpected answer): reported as a warning."""

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


@dataclass(frozen=True)
class Reply:
    """One HTTP answer: its status and its JSON body (None when there is none)."""

    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def describe(self) -> str:
        """`HTTP 403 (AuthorizationFailed): message`, from ARM's, Graph's or Azure DevOps' error shape."""
        body: dict[str, Any] = self.body if isinstance(self.body, dict) else {}
        error: dict[str, Any] = body["error"] if isinstance(body.get("error"), dict) else body
        code = error.get("code") or error.get("typeKey") or ""
        message = str(error.get("message") or "").strip().splitlines()[0:1]
        text = f"HTTP {self.status}" + (f" ({code})" if code else "")
        return f"{text}: {message[0]}" if message else text


def _https(name: str, value: str | None) -> str | None:
    if value and urlsplit(value).scheme != "https":
        raise ValueError(f"{name}={value}: must be an https:// URL (a token is never sent over plain http)")
    return value or None


@dataclass(frozen=True)
class Endpoints:
    """Where the checks send their requests, and the credential they use for all of them."""

    arm: Connection
    graph: str = GRAPH_ENDPOINT
    graph_verify: str | bool | None = None
    devops: str | None = None
    """Replaces scheme and host of every organization URL (proxies, stand-ins); None: the URL as configured."""
    devops_verify: str | bool | None = None

    @classmethod
    def from_environment(cls) -> Endpoints:
        from mdpool.imagebuild.builder import Connection

        env = os.environ.get
        _https("MDPOOL_ARM_ENDPOINT", env("MDPOOL_ARM_ENDPOINT"))
        return cls(
            arm=Connection.from_environment().with_credential(),
            graph=_https("MDPOOL_GRAPH_ENDPOINT", env("MDPOOL_GRAPH_ENDPOINT")) or GRAPH_ENDPOINT,
            graph_verify=env("MDPOOL_GRAPH_CA_BUNDLE") or None,
            devops=_https("MDPOOL_DEVOPS_ENDPOINT", env("MDPOOL_DEVOPS_ENDPOINT")),
            devops_verify=env("MDPOOL_DEVOPS_CA_BUNDLE") or None,
        )

    def devops_url(self, organization_url: str) -> str:
        if not self.devops:
            return organization_url.rstrip("/")
        path = urlsplit(organization_url).path.rstrip("/")
        return self.devops.rstrip("/") + path


class Arm:
    """GET/POST against Azure Resource Manager through the image builder's ARM client.

    Same credential, endpoint override, TLS settings and (production) retry policy as
    `mdpool images build`; one client per subscription.
    """

    def __init__(self, endpoints: Endpoints) -> None:
        self.endpoints = endpoints
        self._clients: dict[str, Any] = {}

    def client_for(self, path: str) -> Any:
        subscription = path.split("/")[2] if path.startswith("/subscriptions/") else ""
        if subscription not in self._clients:
            self._clients[subscription] = self.endpoints.arm.client(subscription or "-")
        return self._clients[subscription]

    def request(
        self, method: str, path: str, api_version: str | None, *, params: dict[str, str] | None = None, body: Any = None
    ) -> Reply:
        from azure.core.rest import HttpRequest

        query = dict(params or {})
        if api_version:
            query["api-version"] = api_version
        request = (
            HttpRequest(method, path, params=query, json=body) if body is not None else HttpRequest(method, path, params=query)
        )
        response = self.client_for(path).send_request(request)
        return Reply(response.status_code, _json(response))

    def get(self, path: str, api_version: str, **params: str) -> Reply:
        return self.request("GET", path, api_version, params=params)

    def list(self, path: str, api_version: str, what: str, **params: str) -> list[dict[str, Any]]:
        """Every item of a paged ARM list (`value` + `nextLink`); Unchecked when Azure says no."""
        items: list[dict[str, Any]] = []
        reply = self.get(path, api_version, **params)
        for _ in range(200):  # pages; bounded
            if not reply.ok:
                raise Unchecked(f"could not read {what}: {reply.describe()}", _read_fix(reply, what))
            items.extend((reply.body or {}).get("value") or [])
            next_link = (reply.body or {}).get("nextLink")
            if not next_link:
                break
            reply = self.request("GET", self._same_host(next_link), None)
        return items

    def _same_host(self, link: str) -> str:
        """A nextLink is followed on the configured ARM endpoint only (its path and query)."""
        parts = urlsplit(link)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def close(self) -> None:
        for client in self._clients.values():
            client.close()


def _read_fix(reply: Reply, what: str) -> str:
    if reply.status in (401, 403):
        return f"let the deploying identity read {what} (e.g. Reader on the subscription)"
    return ""


class TokenClient:
    """An azure-core pipeline for one non-ARM service: its own token audience, production retries, no redirects."""

    def __init__(
        self, endpoints: Endpoints, scope: str, verify: str | bool | None, headers: dict[str, str] | None = None
    ) -> None:
        from azure.core import PipelineClient
        from azure.core.pipeline.policies import (
            BearerTokenCredentialPolicy,
            HeadersPolicy,
            RedirectPolicy,
            RetryPolicy,
            UserAgentPolicy,
        )

        credential = endpoints.arm.credential
        assert credential is not None
        policies = [
            HeadersPolicy(headers or {}),
            UserAgentPolicy("mdpool-doctor"),
            RedirectPolicy(permit_redirects=False),
            RetryPolicy(),  # production settings: throttling and 5xx retried with back-off
            BearerTokenCredentialPolicy(credential, scope),  # https only, token for this audience only
        ]
        kwargs: dict[str, Any] = {}
        if verify is not None:
            kwargs["connection_verify"] = verify
        self._client = PipelineClient("https://unused.invalid", policies=policies, **kwargs)

    def get(self, url: str, params: dict[str, str] | None = None) -> Reply:
        return self.send("GET", url, params)

    def send(self, method: str, url: str, params: dict[str, str] | None = None, body: Any = None) -> Reply:
        """One request; a POST is never resent after a server error (azure-core's RetryPolicy retries only
        idempotent methods on a status), so a queued pipeline run is never queued twice by a retry."""
        from azure.core.rest import HttpRequest

        if urlsplit(url).scheme != "https":
            raise Unchecked(f"{url}: not an https URL; no token is sent over plain http")
        request = (
            HttpRequest(method, url, params=params or {}, json=body)
            if body is not None
            else HttpRequest(method, url, params=params or {})
        )
        response = self._client.send_request(request)
        return Reply(response.status_code, _json(response))

    def close(self) -> None:
        self._client.close()


def _json(response: Any) -> Any:
    try:
        return response.json() if response.content else None
    except ValueError:
        return None


def one_line(error: BaseException) -> str:
    """An exception as one line, without response headers or tokens."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
