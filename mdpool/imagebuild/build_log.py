"""After a failed build: which customizer failed, and the last lines of its customization.log.

Where the log is (Learn, "Troubleshoot Azure VM Image Builder", and "Troubleshoot custom image
templates"): Packer writes every entry to `customization.log` in the staging resource group's
storage account, container `packerlogs`, folder `<guid>`; a failed run's `lastRunStatus.message`
ends with `Image Build log location: https://<account>.blob.core.windows.net/packerlogs/<guid>/customization.log`.
Which step ran: the log has `(telemetry) Starting provisioner <type>` and `(telemetry) ending <type>`
around each customizer, in the template's order (same page, "Run customizations"), so the step
started last and never ended is the one that failed.

The log is read with a plain authenticated GET (Get Blob) and the Azure credential's storage token
(scope `https://storage.azure.com/.default`; Learn, "Authorize access to blobs using Microsoft Entra
ID": reading a blob needs `Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read`,
e.g. the Storage Blob Data Reader role). Nothing here fails a build's report: a log that cannot be
read becomes a sentence saying why, which role is missing and where the log is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Sequence
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

STORAGE_SCOPE = "https://storage.azure.com/.default"  # Learn: authorize access to blobs with Entra ID
BLOB_API_VERSION = "2021-08-06"  # x-ms-version; requests with an OAuth token need 2017-11-09 or later
TAIL_LINES = 20
READER_ROLE = "Storage Blob Data Reader"
_MAX_BYTES = 64 * 1024 * 1024  # a customization.log is a few MB; never hold more than this

_STARTED = re.compile(r"\(telemetry\) Starting provisioner (?P<type>[\w-]+)")
_ENDED = re.compile(r"\(telemetry\) ending (?P<type>[\w-]+)")
# Image Builder customizer/validator types -> the Packer provisioner each runs as (the troubleshooting
# page's telemetry lines: windows-update, powershell, file, windows-restart; shell for Linux scripts).
_PROVISIONER = {
    "Shell": "shell",
    "PowerShell": "powershell",
    "File": "file",
    "WindowsRestart": "windows-restart",
    "WindowsUpdate": "windows-update",
}
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Step:
    """A customizer or validator of the template, in order: its ARM type and name."""

    type: str
    name: str | None


@dataclass(frozen=True)
class LogReport:
    failed_step: str | None = None
    """`customizer 2 'InstallPwsh' (Shell)`, or the provisioner type when the order does not match."""
    tail: tuple[str, ...] = ()
    """The last lines of the log, made safe to print (control characters and CI commands defused)."""
    problem: str | None = None
    """Why the log could not be read: the HTTP error, the role mdpool needs and where the log is."""


def failed_step(log_text: str, steps: Sequence[Step]) -> str | None:
    """The step that started last and never ended, by the log's telemetry lines; None if all ended."""
    started: list[str] = []
    open_step: tuple[int, str] | None = None
    for line in log_text.splitlines():
        if (match := _STARTED.search(line)) is not None:
            started.append(match.group("type"))
            open_step = (len(started), match.group("type"))
        elif (match := _ENDED.search(line)) is not None and open_step is not None and match.group("type") == open_step[1]:
            open_step = None
    if open_step is None:
        return None
    position, provisioner = open_step
    if position <= len(steps) and _PROVISIONER.get(steps[position - 1].type) == provisioner:
        step = steps[position - 1]
        name = f" {step.name!r}" if step.name else ""
        return f"step {position}{name} ({step.type})"
    return f"provisioner {provisioner} (step {position} by the log; the template has {len(steps)})"


def safe_line(line: str) -> str:
    """A log line as data: no terminal escapes, no Azure Pipelines logging command."""
    return _UNSAFE.sub("?", line).replace("##vso[", "##vso [").replace("##[", "## [")


def read_log(
    url: str,
    steps: Sequence[Step],
    credential: "TokenCredential",
    *,
    verify: str | bool | None = None,
    client_kwargs: Mapping[str, Any] | None = None,
    staging_resource_group: str | None = None,
) -> LogReport:
    """GET the customization.log at `url` with a storage token; the failed step and the last lines."""
    from azure.core import PipelineClient
    from azure.core.exceptions import AzureError
    from azure.core.pipeline.policies import BearerTokenCredentialPolicy, HeadersPolicy, RetryPolicy
    from azure.core.rest import HttpRequest

    kwargs = dict(client_kwargs or {})
    for key in ("polling_interval", "base_url"):  # ARM client settings; this client talks to the blob's URL
        kwargs.pop(key, None)
    if verify is not None:
        kwargs["connection_verify"] = verify
    policies = [
        HeadersPolicy({"x-ms-version": BLOB_API_VERSION}),
        RetryPolicy(**{k: v for k, v in kwargs.items() if k.startswith("retry_")}),
        BearerTokenCredentialPolicy(credential, STORAGE_SCOPE),
    ]
    try:
        with PipelineClient(
            base_url=url, policies=policies, **{k: v for k, v in kwargs.items() if not k.startswith("retry_")}
        ) as client:
            response = client.send_request(HttpRequest("GET", url), stream=True)
            try:
                if response.status_code >= 400:
                    return LogReport(problem=_unreadable(url, response.status_code, response.headers, staging_resource_group))
                data = bytearray()
                for chunk in response.iter_bytes():
                    data.extend(chunk)
                    if len(data) > _MAX_BYTES:
                        del data[: len(data) - _MAX_BYTES]
            finally:
                response.close()
    except AzureError as error:
        return LogReport(problem=f"could not read the customization log ({type(error).__name__}); it is at {url}")
    text = data.decode("utf-8", errors="replace")
    lines = [line for line in text.splitlines() if line.strip()]
    return LogReport(failed_step=failed_step(text, steps), tail=tuple(safe_line(line) for line in lines[-TAIL_LINES:]))


def _unreadable(url: str, status: int, headers: Mapping[str, str], staging_resource_group: str | None) -> str:
    code = headers.get("x-ms-error-code") or ""
    account = _account(url)
    where = f"storage account {account}" + (f" in {staging_resource_group}" if staging_resource_group else "")
    detail = f"HTTP {status}" + (f" {code}" if code else "")
    if status in (401, 403):
        return (
            f"could not read the customization log ({detail}): mdpool needs {READER_ROLE} on the staging "
            f"{where} (container packerlogs); the log is at {url}"
        )
    return f"could not read the customization log ({detail}); it is at {url}"


def _account(url: str) -> str:
    """The storage account of a blob URL: `<account>.blob.core.windows.net`, or path-style `host/<account>/...`."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ".blob." in host:
        return host.split(".", 1)[0]
    return parts.path.lstrip("/").split("/", 1)[0]
