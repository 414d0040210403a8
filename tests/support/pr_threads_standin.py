"""A loopback stand-in of Azure DevOps' pull-request threads API, and of the places a hostile answer points to.

`DevOpsStandIn` serves HTTPS (a trustme CA; `ca_file`) on 127.0.0.1 and answers each request with the
next scripted answer for its method, or with the threads API itself when nothing is scripted. Unlike
the ARM stand-in it can answer anything raw: a redirect, an HTML sign-in page, JSON of the wrong shape.
Every request is recorded WITH its Authorization header, and so is every request to the two
`Sink`s (a plain-http one and another https origin), so a test sees exactly where the token went.
"""

from __future__ import annotations

import http.server
import json
import re
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trustme

from tests.support.loopback_https import LoopbackServer, write_ca


@dataclass
class Seen:
    method: str
    url: str
    authorization: str | None
    body: Any


@dataclass
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | str | dict | list | None = None

    def payload(self) -> tuple[bytes, str | None]:
        if self.body is None:
            return b"", None
        if isinstance(self.body, (dict, list)):
            return json.dumps(self.body).encode(), "application/json; charset=utf-8"
        data = self.body.encode() if isinstance(self.body, str) else self.body
        return data, self.headers.get("Content-Type", "text/html; charset=utf-8")


class _Server:
    """One loopback listener, https when given a TLS context; records what it is sent."""

    def __init__(self, respond, ca: trustme.CA | None, name: str) -> None:
        self.seen: list[Seen] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                owner.seen.append(Seen(self.command, f"{owner.base_url}{self.path}", self.headers.get("Authorization"), body))
                answer = respond(self.command, self.path, body)
                data, content_type = answer.payload()
                self.send_response(answer.status)
                for key, value in answer.headers.items():
                    self.send_header(key, value)
                if content_type:
                    self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

        self._loopback = LoopbackServer(Handler, name, ca)
        self.base_url = self._loopback.base_url

    def stop(self) -> None:
        self._loopback.stop()


BUILD_SERVICE_ID = "9c2d7a3e-0000-4000-8000-0000000000b5"
"""The identity the job's token signs in as (connectionData's authenticatedUser.id)."""


class DevOpsStandIn:
    """The threads API of one pull request, at `<base_url>/org/<project>/_apis/git/repositories/<repo>/pullRequests/<n>/threads`,
    and `<base_url>/org/_apis/connectionData` naming the token's identity (`identity`); a posted
    comment's `author` is that identity, as Azure DevOps records it."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="devops-standin-")
        ca, self.ca_file = write_ca(Path(self._tmp.name))
        self.threads: list[dict] = []
        self.identity = BUILD_SERVICE_ID
        self.scripted: dict[str, list[Answer]] = {}
        self._lock = threading.Lock()

        self._api = _Server(self._respond, ca, "devops-standin")
        self.other_https = _Server(lambda *_: Answer(200, body={"value": [], "id": 1}), ca, "other-https")
        self.plain_http = _Server(lambda *_: Answer(200, body={"value": [], "id": 1}), None, "plain-http")
        self.base_url = self._api.base_url

    @property
    def seen(self) -> list[Seen]:
        return self._api.seen

    def script(self, method: str, *answers: Answer) -> None:
        """Answer the next requests of `method` with these, in order (then the threads API again)."""
        with self._lock:
            self.scripted.setdefault(method, []).extend(answers)

    def _respond(self, method: str, path: str, body: Any) -> Answer:
        with self._lock:
            queue = self.scripted.get(method)
            if queue:
                return queue.pop(0)
        path = path.split("?", 1)[0]
        if method == "GET" and re.fullmatch(r"/[^/]+/_apis/connectionData", path):
            # the shape of the Location service's ConnectionData (authenticatedUser: Identity)
            return Answer(200, body={"authenticatedUser": {"id": self.identity, "providerDisplayName": "Build Service"}})
        if method == "GET" and path.endswith("/threads"):
            return Answer(200, body={"value": self.threads, "count": len(self.threads)})
        if method == "POST" and path.endswith("/threads"):
            comment = dict(body["comments"][0], id=1, author={"id": self.identity, "displayName": "Build Service"})
            thread = {"id": 100 + len(self.threads), "comments": [comment], "status": body["status"]}
            self.threads.append(thread)
            return Answer(200, body=thread)
        found = re.search(r"/threads/(\d+)/comments/(\d+)$", path)
        if method == "PATCH" and found:
            thread = next(t for t in self.threads if str(t["id"]) == found.group(1))
            comment = next(c for c in thread["comments"] if str(c["id"]) == found.group(2))
            comment["content"] = body["content"]
            return Answer(200, body=comment)
        return Answer(404, body={"message": f"no route {method} {path}"})

    def stop(self) -> None:
        for server in (self._api, self.other_https, self.plain_http):
            server.stop()
        self._tmp.cleanup()

    def __enter__(self) -> "DevOpsStandIn":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
