"""`mdpool --version`: mdpool and what it synthesizes and deploys with, read without importing it.

The provider bindings take seconds and hundreds of MB to import, so their versions (and the
Terraform provider version each binding was generated from) come from the installed packages'
metadata (importlib.metadata), and terraform's from `terraform version -json`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from importlib import metadata

# Each prebuilt binding's package description starts "CDKTN prebuilt bindings for <provider>
# provider version <x.y.z>" (cdktn-io/cdktn-provider-* README, shipped as the package's METADATA).
_PROVIDER_VERSION = re.compile(r"bindings for (?P<provider>[\w.-]+/[\w.-]+) provider version (?P<version>[0-9][\w.+-]*)")

BINDINGS = ("cdktn-provider-azurerm", "cdktn-provider-azapi")


def package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def binding_line(name: str) -> str:
    version = package_version(name)
    if version is None:
        return f"{name} not installed"
    match = _PROVIDER_VERSION.search(metadata.metadata(name).get_payload() or "")  # type: ignore[attr-defined]
    provider = f" ({match['provider']} {match['version']})" if match else ""
    return f"{name} {version}{provider}"


# `--version` is asked to answer at once: a terraform that hangs (a wrapper waiting on the network,
# a stuck plugin) costs it at most this long
TERRAFORM_TIMEOUT = 1.0


def terraform_line(timeout: float = TERRAFORM_TIMEOUT) -> str:
    """terraform (or $MDPOOL_TERRAFORM, as plan and deploy use) and its version, when it can be found."""
    wanted = os.environ.get("MDPOOL_TERRAFORM") or "terraform"
    binary = shutil.which(wanted)
    if binary is None:
        return f"{wanted} not found on PATH (plan and deploy need it)"
    unknown = f"{os.path.basename(wanted)} at {binary}: version unknown"
    try:  # its own process group: a wrapper script's children are stopped with it when it takes too long
        process = subprocess.Popen(
            [binary, "version", "-json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "CHECKPOINT_DISABLE": "1"},
            start_new_session=True,
        )
    except OSError:
        return unknown
    try:
        stdout, _ = process.communicate(timeout=timeout)
        version = json.loads(stdout)["terraform_version"]
    except subprocess.TimeoutExpired:
        _stop(process)
        return f"{os.path.basename(wanted)}: unknown (timed out after {timeout:g} s; {binary})"
    except (ValueError, KeyError, TypeError):
        return unknown
    return f"{os.path.basename(wanted)} {version} ({binary})"


def _stop(process: subprocess.Popen[str]) -> None:
    import signal

    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:  # already gone
        pass
    process.wait()


def version_lines() -> list[str]:
    import platform

    from mdpool import __version__

    return [
        f"mdpool {__version__}",
        f"python {platform.python_version()} ({platform.python_implementation()})",
        f"cdktn {package_version('cdktn') or 'not installed'}",
        *(binding_line(name) for name in BINDINGS),
        terraform_line(),
    ]
