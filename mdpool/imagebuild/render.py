"""Read an image definition file, rendering `*.json.j2` templates with jinja2 first.

One generic template can serve several images, as the blog's pipeline matrix does with
`BaseName`: the config gives each image its `variables`, and mdpool adds the matrix's other
columns (ImageName, Publisher, Offer, Sku, Version) plus Location and OsType. Rendering is strict
(StrictUndefined): a variable the config does not define is an error at its line, never an empty
string baked into an hour-long build. `{% include %}` finds partials beside the template.
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
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError([Problem(label, None, "", "image definition file not found; check build.definition "
                                                   "(relative to the config file)")]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError([Problem(label, None, "", f"cannot read the image definition: {error}")]) from None
    if not path.name.endswith(".j2"):
        return RenderedDefinition(source, label, label)
    text = _render(path, source, variables, label)
    same_lines = text.count("\n") == source.count("\n")
    return RenderedDefinition(text, label, label if same_lines else f"{label} (rendered)")


def _render(path: Path, source: str, variables: Mapping[str, str], label: str) -> str:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(path.parent)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    try:
        template = env.get_template(path.name)
        return template.render(**dict(variables))
    except jinja2.TemplateSyntaxError as error:
        where = label if error.name in (None, path.name) else f"{label} (included {error.name})"
        raise InputError([Problem(where, error.lineno, "", f"template syntax error: {error.message}")]) from None
    except jinja2.TemplateNotFound as error:
        raise InputError([Problem(label, _template_line(error, path), "",
                                  f"included template {error.name!r} not found beside {path.name}")]) from None
    except jinja2.UndefinedError as error:
        known = ", ".join(sorted(variables)) or "none"
        raise InputError([Problem(label, _template_line(error, path), "",
                                  f"{error.message}; define it under build.variables in the config "
                                  f"(variables available: {known})")]) from None
    except Exception as error:  # a filter or expression failing inside the template
        raise InputError([Problem(label, _template_line(error, path), "",
                                  f"template failed to render: {type(error).__name__}: {error}")]) from None


def _template_line(error: BaseException, path: Path) -> int | None:
    """jinja2 rewrites tracebacks so template frames carry the template's file and line."""
    line = None
    tb = error.__traceback__
    target = os.path.abspath(path)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename and os.path.abspath(filename) == target:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
