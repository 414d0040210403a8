"""The jinja2 side of rendering a `*.json.j2` definition: the sandbox, its bounds, one line per problem.

This module runs where the template runs: in the render child (mdpool.imagebuild.render_child),
whose operating-system limits bound what one C call can do, or in-process where those limits do
not exist. mdpool.imagebuild.render reads the file and chooses where.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Mapping

from mdpool.problems import InputError, Problem

MAX_RENDERED_CHARS = 4 * 1024 * 1024
"""Largest rendered definition; a template that writes more is refused (a loop gone wild, or an attack)."""
MAX_RENDER_SECONDS = 3.0
"""Longest render; the shipped template takes milliseconds."""
MAX_SEQUENCE = 1024 * 1024
"""Largest string or list a template may build with `*`, and the largest result of `**` in digits."""
MAX_RENDER_MEMORY = 256 * 1024 * 1024
"""Address space a render may add to the process that runs it (Linux: the render child's RLIMIT_AS).

The output and time bounds act only between two steps of the template; a single string method or
filter (`"a".ljust(400000000)`, `"%0400000000d" % 1`, `"a\\na"|indent(...)`, doubling a string
in a loop) allocated gigabytes and took tens of seconds before either bound was checked. A bound on
each argument would miss compositions (a join of long strings, a replace), so the render child's
memory limit is what it needs to start plus this: an allocation above it is a MemoryError,
refused with one line. The rendered definition (at most MAX_RENDERED_CHARS) needs a few MiB."""

MEMORY_REFUSED = f"refused: rendering needed more than {MAX_RENDER_MEMORY // (1024 * 1024)} MiB of memory (allowed: at most that)"
TIME_REFUSED = f"refused: rendering took longer than {MAX_RENDER_SECONDS:g} seconds (allowed: at most that)"


def render_template(path: Path, source: str, variables: Mapping[str, str], label: str) -> str:
    """The rendered text of the template `source` (read from `path`); InputError with one line if refused."""
    import jinja2
    from jinja2.sandbox import SecurityError

    from mdpool.imagebuild.template_values import Markers, MisplacedValue, unmark, value_type

    markers = Markers.new()
    env = _sandbox(path, source, markers)
    value = value_type(markers)
    try:
        # compiling folds constant expressions (`"a"|center(400000000)`), so it is bounded too
        template = env.get_template(path.name)
        marked = _bounded_output(template.generate(**{name: value(text) for name, text in variables.items()}), markers)
        return unmark(marked, markers)
    except MisplacedValue as misplaced:
        raise InputError([_misplaced_problem(misplaced, marked, markers, source, variables, label)]) from None
    except MemoryError:
        raise InputError([Problem(label, None, "", MEMORY_REFUSED)]) from None
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


def _misplaced_problem(misplaced, marked: str, markers, source: str, variables: Mapping[str, str], label: str) -> Problem:  # noqa: ANN001
    """One line for a value outside its place: which variable, where in the file, what to write instead."""
    from mdpool.imagebuild.template_values import variables_named

    text = marked
    for marker in (markers.open, markers.close, markers.value_open, markers.value_close):
        text = text.replace(marker, "")
    line = text.count("\n", 0, misplaced.offset) + 1
    where = label if text.count("\n") == source.count("\n") else f"{label} (rendered)"
    names = variables_named(misplaced.content, variables)
    who = ("variable " + ", ".join(names)) if names else "an expression"
    name = names[0] if names else "X"
    if misplaced.whole_value:
        return Problem(
            where,
            line,
            "",
            f"refused: {who} is written with tojson inside a JSON string, which would change the document's "
            f'structure; tojson writes a whole JSON value ("Name": {{{{ {name} | tojson }}}}), text goes inside '
            f'quotes ("{{{{ {name} }}}}")',
        )
    return Problem(
        where,
        line,
        "",
        f"refused: the value of {who} is written outside a JSON string, so it could change the document's "
        f'structure; a variable is a value: write it inside quotes ("{{{{ {name} }}}}"), a number as '
        f"{{{{ {name} | int }}}}",
    )


def _sandbox(path: Path, source: str, markers):  # noqa: ANN001 - template_values.Markers
    """jinja2's sandbox: no attribute of Python internals, no unsafe calls, strict undefined.

    A definition can come from an untrusted branch (the pull-request pipeline validates it), so
    rendering must not run code: jinja2's SandboxedEnvironment refuses `__class__`, `__globals__`,
    `mro()` and the like (jinja2 docs, "Sandbox"); `*` and `**` are bounded so a template cannot
    exhaust memory, and includes read only files inside the template's folder. What an expression
    writes is a value (mdpool.imagebuild.template_values): JSON-escaped, and checked to stay inside
    a JSON string.
    """
    import operator

    import jinja2
    from jinja2.compiler import CodeGenerator
    from jinja2.sandbox import SandboxedEnvironment, SecurityError
    from markupsafe import Markup

    from mdpool.imagebuild import template_values as values

    class ValueConcat(CodeGenerator):
        """`~` through the environment, so a value joined to template text is JSON-escaped, not HTML-escaped."""

        def visit_Concat(self, node, frame):  # noqa: ANN001 - jinja2's signature
            self.write("environment.concat_values((")
            for arg in node.nodes:
                self.visit(arg, frame)
                self.write(", ")
            self.write("))")

    class BoundedSandbox(SandboxedEnvironment):
        intercepted_binops = frozenset(["*", "**", "+", "%"])
        code_generator_class = ValueConcat

        def concat_values(self, parts: tuple) -> str:
            return values.concat(markers, parts)

        def call(__self, __context, __obj, *args, **kwargs):  # noqa: ANN001,N805 - jinja2's signature
            if isinstance(getattr(__obj, "__self__", None), Markup):  # a method of template text
                args, kwargs = values.method_arguments(markers, getattr(__obj, "__name__", ""), args, kwargs)
            return super().call(__context, __obj, *args, **kwargs)

        def call_binop(self, context, operator_name, left, right):  # noqa: ANN001 - jinja2's signature
            if operator_name in ("+", "%"):
                if isinstance(left, Markup) or isinstance(right, Markup):  # a value meets template text
                    left = values.as_markup(markers, left)
                    right = (
                        tuple(values.as_markup(markers, r) for r in right)
                        if isinstance(right, tuple)
                        else values.as_markup(markers, right)
                    )
                return operator.add(left, right) if operator_name == "+" else operator.mod(left, right)
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

    @jinja2.pass_eval_context  # needs the render: so no constant is finalized (and HTML-escaped) while compiling
    def finalize(eval_ctx, value):  # noqa: ANN001
        return values.as_output(markers, value)

    env = BoundedSandbox(
        loader=_folder_loader(path, source),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        # on only so template text (macros, blocks, caller()) is Markup and kept as it is; finalize
        # and the hooks above escape values as JSON, never as HTML
        autoescape=True,
        finalize=finalize,
    )
    for name in ("safe", "urlize", "xmlattr"):  # would write a value unescaped, or HTML-escaped only
        del env.filters[name]
    values.value_filters(markers, env.filters)
    for name in ("escape", "e", "forceescape"):
        env.filters[name] = lambda value: values.as_output(markers, value)
    env.filters["tojson"] = lambda value, indent=None: markers.whole_value(value)
    env.filters["shell"] = values.shell_word
    env.filters["powershell"] = values.powershell_word
    return env


def _bounded_output(chunks, markers) -> str:  # noqa: ANN001 - jinja2's generator, template_values.Markers
    """The rendered text, bounded in size and in time (a loop that writes nothing still runs code).

    The time bound is a trace function on this thread that checks the clock at every line the
    render executes; the error it raises unwinds the template from the line it was running.
    """
    import sys

    from jinja2.sandbox import SecurityError

    deadline = time.monotonic() + MAX_RENDER_SECONDS

    def out_of_time(frame, event, arg):  # noqa: ANN001 - sys.settrace's signature
        if time.monotonic() > deadline:
            raise SecurityError(TIME_REFUSED.removeprefix("refused: "))
        return out_of_time

    parts: list[str] = []
    size = 0
    previous = sys.gettrace()
    sys.settrace(out_of_time)
    try:
        for chunk in chunks:
            size += len(chunk) - markers.count(chunk)
            if size > MAX_RENDERED_CHARS:
                raise SecurityError(f"the rendered definition exceeds {MAX_RENDERED_CHARS} characters (allowed: at most that)")
            parts.append(chunk)
    finally:
        sys.settrace(previous)
    return "".join(parts)


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
