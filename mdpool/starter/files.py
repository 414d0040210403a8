"""The files `mdpool init` writes: rendered from the templates beside this module, then checked with
mdpool's own readers before any of them reaches the user's folder.

Typed values reach `mdpool.yaml` only as YAML double-quoted scalars written by `yaml_quoted` (ASCII
only, every other character escaped), so a value with `: `, `#`, a quote or a line break stays one
value; the result is read back with mdpool's YAML reader and must hold exactly the values typed, then
validated as `mdpool validate` does (config and image definitions). Nothing is written when any of
that fails.

Writing never replaces anything: each file is created new (O_EXCL, no symbolic link followed), and
if one cannot be, those already created by this run are removed again (mdpool removes only what it
wrote).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from mdpool import __version__
from mdpool.problems import InputError, Problem

TEMPLATES = Path(__file__).parent / "templates"
CONFIG = "mdpool.yaml"
CONFIG_SCHEMA = "schema/mdpool-config.schema.json"
DEFINITION_SCHEMA = "schema/mdpool-image-definition.schema.json"
PIPELINES = "pipelines"

COPIED = {
    "images/ubuntu-buildagent.json.j2": "ubuntu-buildagent.json.j2",
    "images/windows-buildagent.json.j2": "windows-buildagent.json.j2",
    ".gitignore": "gitignore",  # stored without the dot: setuptools' package-data globs skip dot files
}
"""Written as they are (the definitions are jinja2 templates of their own, rendered at build time)."""
RENDERED = {
    CONFIG: "mdpool.yaml.j2",
    ".pre-commit-config.yaml": "pre-commit-config.yaml.j2",
    "README.md": "README.md.j2",
}


def default_install() -> str:
    """How the rendered pipelines and the hooks install mdpool by default: the version running init."""
    return f"mdpool=={__version__}"


@dataclass(frozen=True)
class StarterValues:
    environment: str = "dev"
    location: str = "westeurope"
    organization_url: str = "https://dev.azure.com/your-organization"
    projects: tuple[str, ...] = ()
    subscription_id: str = "00000000-0000-0000-0000-000000000000"
    install: str = field(default_factory=default_install)


def yaml_quoted(value: str) -> str:
    """`value` as a YAML double-quoted scalar of printable ASCII: `"` and `\\` escaped, every other
    character outside ASCII's printable range as `\\xXX`, `\\uXXXX` or `\\UXXXXXXXX` (YAML 1.1 and
    1.2 both read these escapes), so no character of the value can end the scalar or the line."""
    out = ['"']
    for char in value:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= code < 0x7F:
            out.append(char)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    environment.filters["q"] = lambda value: yaml_quoted(str(value))
    return environment


def planned_paths() -> list[str]:
    """Every file init writes, relative to its folder (known before any value is asked for)."""
    from mdpool.pipelines.render import PIPELINE_FILES

    names = [*RENDERED, *COPIED, CONFIG_SCHEMA, DEFINITION_SCHEMA, *(f"{PIPELINES}/{name}" for name in PIPELINE_FILES)]
    return sorted(names)


def _first_files(values: StarterValues) -> dict[str, str]:
    """Everything but the pipelines, which are rendered from the config once it is read back."""
    from mdpool.schema_command import SchemaKind, schema_text

    environment = _environment()
    context = {
        "version": __version__,
        "environment": values.environment,
        "location": values.location,
        "organization_url": values.organization_url,
        "projects": values.projects,
        "subscription_id": values.subscription_id,
        "install": values.install,
        "install_setting": values.install,
    }
    files = {name: environment.get_template(template).render(**context) for name, template in RENDERED.items()}
    files.update({name: (TEMPLATES / template).read_text(encoding="utf-8") for name, template in COPIED.items()})
    files[CONFIG_SCHEMA] = schema_text(SchemaKind.config)
    files[DEFINITION_SCHEMA] = schema_text(SchemaKind.image_definition)
    return files


def _typed(values: StarterValues) -> dict[str, object]:
    return {
        "environment": values.environment,
        "subscription_id": values.subscription_id,
        "location": values.location,
        "pool.organizations[0].url": values.organization_url,
        "pool.organizations[0].projects": list(values.projects),
    }


def _read_back(data: object) -> dict[str, object]:
    """The typed values as mdpool's YAML reader finds them in the rendered config."""
    found: dict[str, object] = {}
    if not isinstance(data, dict):
        return found
    found.update({key: data.get(key) for key in ("environment", "subscription_id", "location")})
    pool = data.get("pool")
    organizations = pool.get("organizations") if isinstance(pool, dict) else None
    if isinstance(organizations, list) and organizations and isinstance(organizations[0], dict):
        found["pool.organizations[0].url"] = organizations[0].get("url")
        found["pool.organizations[0].projects"] = organizations[0].get("projects")
    return found


def starter_files(values: StarterValues, shown_folder: Path) -> dict[str, str]:
    """Relative path -> text of every file init writes, checked; InputError (problems named as in
    `shown_folder`) when a typed value does not make a valid config."""
    from mdpool.imagebuild import check_image_definitions
    from mdpool.loader import load_config
    from mdpool.pipelines.render import render_pipelines
    from mdpool.pipelines.settings import pipeline_layout, pipeline_settings
    from mdpool.yamlsource import load_yaml

    files = _first_files(values)
    with tempfile.TemporaryDirectory(prefix="mdpool-init-") as staging:
        root = Path(staging)
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text, encoding="utf-8")

        def renamed(problems: list[Problem]) -> list[Problem]:
            def shown(file: str) -> str:
                path = Path(file)
                return str(shown_folder / path.relative_to(root)) if path.is_relative_to(root) else file

            return [Problem(shown(p.file), p.line, p.path, p.message, p.severity) for p in problems]

        typed, found = _typed(values), _read_back(load_yaml(root / CONFIG).data)
        changed = [key for key in typed if found.get(key) != typed[key]]
        if changed:  # cannot happen with yaml_quoted; checked so that a future template cannot let a value through changed
            raise InputError(
                [Problem(str(shown_folder / CONFIG), None, key, "the value typed does not read back unchanged") for key in changed]
            )
        try:
            config = load_config(root / CONFIG)
        except InputError as error:
            raise InputError(renamed(error.problems), renamed(error.warnings)) from None
        problems = check_image_definitions(config)
        if problems:
            raise InputError(renamed(problems))
        settings = pipeline_settings(config, CONFIG, pipeline_layout(config, root))  # tool, unless the config says clone
        files.update({f"{PIPELINES}/{name}": text for name, text in render_pipelines(settings).items()})
    return files


# --- writing -----------------------------------------------------------------------------------------


def occupied(folder: Path, names: list[str]) -> list[str]:
    """One line per path init would write that is taken (a file, folder or link, or a parent that is
    not a plain folder); empty when every file can be created new."""
    if os.path.lexists(folder) and (folder.is_symlink() or not folder.is_dir()):
        kind = "a symbolic link" if folder.is_symlink() else "a file, not a folder"
        return [f"{folder}: is {kind}; mdpool init needs a new or existing folder"]
    problems: list[str] = []
    seen: set[Path] = set()
    blocked: set[Path] = set()
    for name in names:
        path = folder / name
        for parent in reversed(path.relative_to(folder).parents[:-1]):  # images/, pipelines/, schema/
            where = folder / parent
            if where in seen or not os.path.lexists(where):
                continue
            seen.add(where)
            if where.is_symlink() or not where.is_dir():  # a linked folder would take the files elsewhere
                blocked.add(where)
                kind = "a symbolic link" if where.is_symlink() else "a file"
                problems.append(f"{where}: is {kind} where mdpool init writes a folder; move it, or choose another folder")
        if os.path.lexists(path) and not any(parent in blocked for parent in path.parents):
            problems.append(f"{path}: exists; mdpool init writes only new files: move it, or choose another folder")
    return problems


def write_new(folder: Path, files: dict[str, str]) -> list[Path]:
    """Create every file new under `folder` (and the folders they need); all or nothing: on any error
    (or an interruption) what this call created is removed again and the error raised."""
    created_files: list[Path] = []
    created_dirs: list[Path] = []
    try:
        for name in sorted(files):
            path = folder / name
            missing = [parent for parent in reversed(path.parents) if not os.path.lexists(parent)]
            for parent in missing:
                os.mkdir(parent)
                created_dirs.append(parent)
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
            created_files.append(path)
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
                stream.write(files[name])
    except BaseException:
        for path in reversed(created_files):
            path.unlink(missing_ok=True)
        for directory in reversed(created_dirs):
            try:
                directory.rmdir()
            except OSError:
                pass  # something else put a file there meanwhile: not ours to remove
        raise
    return created_files
