"""Read an image definition file, rendering `*.json.j2` templates with jinja2 first.

One generic template can serve several images, as the blog's pipeline matrix does with
`BaseName`: the config gives each image its `variables`, and mdpool adds the matrix's other
columns (ImageName, Publisher, Offer, Sku, Version) plus Location and OsType. Rendering is strict
(StrictUndefined): a variable the config does not define is an error at its line, never an empty
string baked into an hour-long build. `{% include %}` finds partials beside the template.

Rendering is sandboxed (jinja2's SandboxedEnvironment): a template is data, even from an untrusted
branch; reaching Python internals, building huge values or reading files outside the template's
folder is refused with one line, at the template's line.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

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


MAX_RENDERED_CHARS = 4 * 1024 * 1024
"""Largest rendered definition; a template that writes more is refused (a loop gone wild, or an attack)."""
MAX_RENDER_SECONDS = 3.0
"""Longest render; the shipped template takes milliseconds."""
MAX_SEQUENCE = 1024 * 1024
"""Largest string or list a template may build with `*`, and the largest result of `**` in digits."""
MAX_RENDER_MEMORY = 256 * 1024 * 1024
"""Address space a render may add to the process (Linux): bounds what one call can allocate.

The output and time bounds act only between two steps of the template; a single string method or
filter (`"a".ljust(400000000)`, `"%0400000000d" % 1`, `"a\\na"|indent(...)`, doubling a string
in a loop) allocated gigabytes and took tens of seconds before either bound was checked. A bound on
each argument would miss compositions (a join of long strings, a replace), so the process's memory
limit (RLIMIT_AS) is lowered while the template runs: an allocation above it is a MemoryError,
refused with one line. The rendered definition (at most MAX_RENDERED_CHARS) needs a few MiB."""


def _render(path: Path, source: str, variables: Mapping[str, str], label: str) -> str:
    import jinja2
    from jinja2.sandbox import SecurityError

    env = _sandbox(path, source)
    try:
        # compiling folds constant expressions (`"a"|center(400000000)`), so it is bounded too
        with _memory_bound():
            template = env.get_template(path.name)
            return _bounded_output(template.generate(**dict(variables)))
    except MemoryError:
        megabytes = MAX_RENDER_MEMORY // (1024 * 1024)
        raise InputError(
            [Problem(label, None, "", f"refused: rendering needed more than {megabytes} MiB of memory (allowed: at most that)")]
        ) from None
    except jinja2.TemplateSyntaxError as error:
        where = label if error.name in (None, path.name) else f"{label} (included {error.name})"
        raise InputError([Problem(where, error.lineno, "", f"template syntax error: {error.message}")]) from None
    except jinja2.TemplateNotFound as error:
        raise InputError(
            [
                Problem(
                    label,
                    _template_line(error, path),
                    "",
                    f"included template {error.name!r} not found beside {path.name} (templates may "
                    "include only files in their own folder or below it)",
                )
            ]
        ) from None
    except SecurityError as error:
        reason = str(error).rstrip(".")
        if "unsafe" in reason:  # jinja2's own refusals name the attribute or call, not what is allowed
            reason += "; a definition template may use variables, filters and tests, never Python internals"
        raise InputError([Problem(label, _template_line(error, path), "", f"refused: {reason}")]) from None
    except jinja2.UndefinedError as error:
        if "attribute '_" in (error.message or ""):  # a private or dunder name: the sandbox hides those
            raise InputError(
                [
                    Problem(
                        label,
                        _template_line(error, path),
                        "",
                        f"refused: {error.message}; a definition template may use variables, filters "
                        "and tests, never Python internals",
                    )
                ]
            ) from None
        known = ", ".join(sorted(variables)) or "none"
        raise InputError(
            [
                Problem(
                    label,
                    _template_line(error, path),
                    "",
                    f"{error.message}; define it under build.variables in the config (variables available: {known})",
                )
            ]
        ) from None
    except Exception as error:  # a filter or expression failing inside the template
        raise InputError(
            [Problem(label, _template_line(error, path), "", f"template failed to render: {type(error).__name__}: {error}")]
        ) from None


def _sandbox(path: Path, source: str):
    """jinja2's sandbox: no attribute of Python internals, no unsafe calls, strict undefined.

    A definition can come from an untrusted branch (the pull-request pipeline validates it), so
    rendering must not run code: jinja2's SandboxedEnvironment refuses `__class__`, `__globals__`,
    `mro()` and the like (jinja2 docs, "Sandbox"); `*` and `**` are bounded so a template cannot
    exhaust memory, and includes read only files inside the template's folder.
    """
    import operator

    import jinja2
    from jinja2.sandbox import SandboxedEnvironment, SecurityError

    class BoundedSandbox(SandboxedEnvironment):
        intercepted_binops = frozenset(["*", "**"])

        def call_binop(self, context, operator_name, left, right):  # noqa: ANN001 - jinja2's signature
            if operator_name == "*":
                for seq, times in ((left, right), (right, left)):
                    if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and len(seq) * times > MAX_SEQUENCE:
                        raise SecurityError(
                            f"'*' would build a sequence of {len(seq) * times} items (allowed: at most {MAX_SEQUENCE})"
                        )
                return operator.mul(left, right)
            if (
                isinstance(left, int)
                and isinstance(right, int)
                and right > 0
                and right * max(abs(left), 2).bit_length() > MAX_SEQUENCE * 3
            ):
                raise SecurityError(f"'**' would compute a number of more than {MAX_SEQUENCE} digits (allowed: fewer)")
            return operator.pow(left, right)

    return BoundedSandbox(
        loader=_folder_loader(path, source),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )


def _bounded_output(chunks) -> str:  # noqa: ANN001 - jinja2's generator
    """The rendered text, bounded in size and in time (a loop that writes nothing still runs code).

    The time bound is a trace function on this thread that checks the clock at every line the
    render executes; the error it raises unwinds the template from the line it was running.
    """
    import sys

    from jinja2.sandbox import SecurityError

    deadline = time.monotonic() + MAX_RENDER_SECONDS

    def out_of_time(frame, event, arg):  # noqa: ANN001 - sys.settrace's signature
        if time.monotonic() > deadline:
            raise SecurityError(f"rendering took longer than {MAX_RENDER_SECONDS:g} seconds (allowed: at most that)")
        return out_of_time

    parts: list[str] = []
    size = 0
    previous = sys.gettrace()
    sys.settrace(out_of_time)
    try:
        for chunk in chunks:
            size += len(chunk)
            if size > MAX_RENDERED_CHARS:
                raise SecurityError(f"the rendered definition exceeds {MAX_RENDERED_CHARS} characters (allowed: at most that)")
            parts.append(chunk)
    finally:
        sys.settrace(previous)
    return "".join(parts)


@contextmanager
def _memory_bound() -> Iterator[None]:
    """RLIMIT_AS lowered to what the process uses now plus MAX_RENDER_MEMORY, restored afterwards.

    Where the limit cannot be set (no `resource` module, no /proc: Windows, macOS) the render runs
    with the output and time bounds only; a limit already stricter than this one is kept.
    """
    try:
        import resource

        with open("/proc/self/statm", encoding="ascii") as statm:  # first field: the address space, in pages
            used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, ValueError):
        yield
        return
    limit = used + MAX_RENDER_MEMORY
    unlimited = resource.RLIM_INFINITY
    if (soft != unlimited and soft <= limit) or (hard != unlimited and hard < limit):
        yield
        return
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _folder_loader(main: Path, main_source: str):
    """A jinja2 loader for the template's folder (and below): no absolute paths, no `..`, no symlink out.

    jinja2's FileSystemLoader already refuses `..` but follows symbolic links, so a branch could
    commit `steps.j2 -> /etc/passwd` and include it; this loader resolves the path and refuses
    anything whose real location is outside the folder. The template the config names is served
    as already read (the config chose that file; only what it includes is confined).
    """
    import jinja2

    from mdpool.files import FileRefused, read_bounded
    from mdpool.yamlsource import MAX_FILE_BYTES

    root = main.parent.resolve()

    class FolderLoader(jinja2.BaseLoader):
        def get_source(self, environment, template):  # noqa: ANN001 - jinja2's signature
            if template == main.name:
                return main_source, str(main), lambda: False
            pieces = template.replace("\\", "/").split("/")
            if template.startswith("/") or ":" in template or any(p in ("", ".", "..") for p in pieces):
                raise jinja2.TemplateNotFound(template)
            path = (root / Path(*pieces)).resolve()
            if not path.is_relative_to(root) or not path.is_file():
                raise jinja2.TemplateNotFound(template)
            try:  # the same rules as the definition itself: a regular file, bounded
                source = read_bounded(path, MAX_FILE_BYTES).decode("utf-8")
            except (OSError, FileRefused, UnicodeDecodeError):
                raise jinja2.TemplateNotFound(template) from None
            return source, str(path), lambda: False  # never cached across renders

    return FolderLoader()


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
