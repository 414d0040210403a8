"""`pipelines.install`: what the rendered pipelines hand to `pip install` to get mdpool.

Three forms, each matched whole (so no line break, quote, space or shell character gets through; the
pipelines quote it as a shell word anyway):

- a requirement naming mdpool, PEP 508's name-with-extras-and-version-specifiers form: the name
  pattern of PEP 508 ("Names"), compared after PEP 503 normalization, the comparison operators of
  PEP 440 ("Version specifiers"); no environment markers and no `name @ url` (a URL is the third form);
- a wheel file in the repository, relative to its root (where the pipeline runs): PEP 427's file
  name `{distribution}-{version}(-{build})?-{python}-{abi}-{platform}.whl` of distribution mdpool;
- a git URL as pip's VCS support takes it (pip docs, "VCS Support"): `git+https://host/path` with an
  optional `@ref`; no credentials in the URL (the pipeline's log would show them).
"""

from __future__ import annotations

import re

_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"  # PEP 508 "Names"
_VERSION = r"[A-Za-z0-9.*+!_-]+"  # the characters of a PEP 440 version (public, local, wildcard)
_SPECIFIER = rf"\s*(?:~=|===|==|!=|<=|>=|<|>)\s*{_VERSION}\s*"
REQUIREMENT = re.compile(
    rf"(?P<name>{_NAME})\s*(?:\[\s*{_NAME}\s*(?:,\s*{_NAME}\s*)*\])?\s*(?:{_SPECIFIER}(?:,{_SPECIFIER})*)?"
)
WHEEL = re.compile(r"(?:\./)?(?:[A-Za-z0-9._+-]+/)*(?P<file>[A-Za-z0-9._+!-]+\.whl)")
GIT_URL = re.compile(r"git\+https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~%+-]+)+(?:@[A-Za-z0-9._/+-]+)?")

ALLOWED = (
    "allowed: a requirement naming mdpool (e.g. mdpool==0.3.0), a wheel file in the repository "
    "(e.g. dist/mdpool-0.3.0-py3-none-any.whl) or a git URL (git+https://host/path@ref)"
)


def normalized(name: str) -> str:
    """PEP 503 normalization: runs of `-`, `_`, `.` become one `-`, lower case."""
    return re.sub(r"[-_.]+", "-", name).lower()


def install_spec_problem(value: str) -> str | None:
    """What is wrong with `value` as `pipelines.install`, or None."""
    if value.startswith("git+"):
        if GIT_URL.fullmatch(value):
            return None
        return f"{value!r} is not a git URL pip installs from without credentials; {ALLOWED}"
    if value.endswith(".whl"):
        wheel = WHEEL.fullmatch(value)
        if wheel is None or ".." in value.split("/"):
            return f"{value!r} is not a wheel path inside the repository; {ALLOWED}"
        if normalized(wheel["file"].split("-", 1)[0]) != "mdpool" or wheel["file"].count("-") not in (4, 5):
            return f"{value!r} is not a wheel of mdpool (mdpool-<version>-<python>-<abi>-<platform>.whl); {ALLOWED}"
        return None
    requirement = REQUIREMENT.fullmatch(value)
    if requirement is None:
        return f"{value!r} is not a requirement pip reads as mdpool's; {ALLOWED}"
    if normalized(requirement["name"]) != "mdpool":
        return f"{value!r} names {requirement['name']!r}, not mdpool; {ALLOWED}"
    return None
