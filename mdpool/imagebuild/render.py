"""Read an image definition file, rendering `*.json.j2` templates with jinja2 first.

One generic template can serve several images, as the blog's pipeline matrix does with
`BaseName`: the config gives each image its `variables`, and mdpool adds the matrix's other
columns (ImageName, Publisher, Offer, Sku, Version) plus Location and OsType. Rendering is strict
(StrictUndefined): a variable the config does not define is an error at its line, never an empty
string baked into an hour-long build. `{% include %}` finds partials beside the template.

Rendering is sandboxed (jinja2's SandboxedEnvironment, mdpool.imagebuild.sandbox): a template is
data, even from an untrusted branch; reaching Python internals, building huge values or reading
files outside the template's folder is refused with one line, at the template's line. On POSIX the
template runs in a child process whose CPU time and memory the kernel bounds
(mdpool.imagebuild.render_child), so one long C call cannot outrun the limits either.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from mdpool.problems import InputError, Problem


@dataclass(frozen=True)
class RenderedDefinition:
    text: str
    label: str
    """The file as problems name it."""
    line_label: str
    """How problems found in the rendered text name the file: the same as `label` when rendering
    kept every line where it was, else `label (rendered)` so nobody trusts a shifted line number."""


def display_path(path: Path) -> str:
    """A short, stable way to show a path: relative to the working directory when below it."""
    normal = Path(os.path.normpath(path))
    try:
        return str(normal.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(normal)


def render_definition(path: Path, variables: Mapping[str, str]) -> RenderedDefinition:
    """The text of the definition at `path`, rendered if it is a jinja2 template; InputError if not readable."""
    label = display_path(path)
    from mdpool.files import FileRefused, read_bounded
    from mdpool.yamlsource import MAX_FILE_BYTES, decode_utf8

    try:
        raw = read_bounded(path, MAX_FILE_BYTES)  # a regular file only (a FIFO would block), bounded
    except FileNotFoundError:
        raise InputError(
            [Problem(label, None, "", "image definition file not found; check build.definition (relative to the config file)")]
        ) from None
    except FileRefused as refused:
        raise InputError([Problem(label, None, "", f"cannot read the image definition: it {refused}")]) from None
    source = decode_utf8(raw, label)
    if not path.name.endswith(".j2"):
        return RenderedDefinition(source, label, label)
    text = _render(path, source, variables, label)
    same_lines = text.count("\n") == source.count("\n")
    return RenderedDefinition(text, label, label if same_lines else f"{label} (rendered)")


def prepare_rendering() -> None:
    """Start the render child in the background (mdpool.imagebuild.render_child.prestart), for a caller
    that will render templates soon: its start overlaps the caller's own work. Nothing where _render
    renders in-process."""
    import importlib.util
    import sys

    if importlib.util.find_spec("resource") is None or not sys.executable:
        return
    from mdpool.imagebuild.render_child import prestart

    prestart()


def _render(path: Path, source: str, variables: Mapping[str, str], label: str) -> str:
    """Render in the render child where the operating system can bound it, else in-process."""
    import importlib.util
    import sys

    # Windows has no `resource` (no RLIMIT_CPU/RLIMIT_AS), an embedded Python no interpreter to start
    # a child with: there the template renders in-process, with the sandbox's own bounds (between lines) only
    if importlib.util.find_spec("resource") is None or not sys.executable:
        from mdpool.imagebuild.sandbox import render_template

        return render_template(path, source, variables, label)
    from mdpool.imagebuild.render_child import render_in_child

    return render_in_child(path, source, variables, label)
