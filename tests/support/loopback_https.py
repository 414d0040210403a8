"""What every loopback stand-in shares: a test CA (trustme) and a threaded HTTP(S) server on 127.0.0.1.

The stand-ins differ in what they answer; how they listen, present a certificate the real clients
verify (`connection_verify=<ca file>`), and stop is the same and lives here.
"""

from __future__ import annotations

import http.server
import ssl
import threading
from pathlib import Path

import trustme


def write_ca(folder: Path) -> tuple[trustme.CA, str]:
    """A fresh test CA and the path of its PEM in `folder` (what a client trusts)."""
    ca = trustme.CA()
    path = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return ca, str(path)


class LoopbackServer:
    """`handler` served on 127.0.0.1 at a free port, over HTTPS with a certificate of `ca` (plain HTTP without one)."""

    def __init__(self, handler: type[http.server.BaseHTTPRequestHandler], name: str, ca: trustme.CA | None) -> None:
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        if ca is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        scheme = "https" if ca is not None else "http"
        self.base_url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
