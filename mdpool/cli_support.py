"""What every subcommand shares: the --config option, loading it, and failing with one line per problem.

Also the output conventions of every command: `--json` (one JSON document on stdout, failures
included, however early they happen), `-q` (problems only) and `-v` (what mdpool reads and does,
on stderr). They live here once so no command has to reimplement them.

Kept free of heavy imports: `mdpool validate` must answer in well under a second, so nothing here
may import the provider bindings, jsii or the Azure SDK.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Annotated, Any, Callable, Iterable, NoReturn

import typer

from mdpool.config_file import CONFIG_ENVVAR, NOT_FOUND, SEARCH_ORDER, USER_CONFIG, discover_config
from mdpool.printed import echo, json_text
from mdpool.problems import InputError, Problem

# --config's default: found when the command runs (mdpool.config_file.discover_config), so that
# $MDPOOL_CONFIG, ./mdpool.yaml and ./config/example.yaml are looked for in the folder mdpool runs in.
DEFAULT_CONFIG = USER_CONFIG


def _discovered_config(ctx: typer.Context, param: typer.CallbackParam, value: Path) -> Path:
    """--config's callback: without --config (or $MDPOOL_CONFIG, which click reads), discover the file."""
    from typer._click.core import ParameterSource  # typer vendors click; stable within the pinned typer ~=0.29

    if param.name is None or ctx.get_parameter_source(param.name) is not ParameterSource.DEFAULT:
        return value
    found = discover_config()
    if found is None:
        OUTPUT.config_missing = True
        return value
    return found


ConfigOption = Annotated[
    Path,
    typer.Option(
        "--config",
        "-c",
        envvar=CONFIG_ENVVAR,
        callback=_discovered_config,
        help="Environment configuration file (YAML).",
        show_default=SEARCH_ORDER,
    ),
]


# --poll-interval (deploy, images build), seconds between two status checks of a running image build.
# At least 0.01 s: each check is an HTTPS round trip, and the tests' loopback stand-in polls at 0.05 s.
# At most 600 s: a finished build is noticed within ten minutes (a build runs for up to
# buildTimeoutInMinutes, at most 960: azure-rest-api-specs, imagebuilder 2025-10-01,
# ImageTemplateProperties), and the number stays finite (inf would hang; nan fails the range check).
# For real Azure keep it at a few seconds or more: ARM refills 25 reads/s per principal and
# subscription (learn.microsoft.com, "Understand how Azure Resource Manager throttles requests"), so
# 32 parallel builds polled faster than ~1.3 s get throttled (the SDK then waits and retries).
POLL_INTERVAL_BOUNDS = (0.01, 600.0)


@dataclasses.dataclass
class Output:
    """How this invocation talks: set by the global options and --json, reset for every invocation."""

    json: bool = False
    verbosity: int = 0  # -1 quiet (-q), 0 normal, 1 verbose (-v)
    json_written: bool = False  # stdout already carries this run's JSON document
    command: str = ""  # the command as typed after `mdpool`, for the JSON document
    report: dict[str, Any] | None = None  # the command's payload so far: a later failure's document carries it
    config_missing: bool = False  # no --config, and discovery found no file


OUTPUT = Output()


def reset_output(verbosity: int = 0) -> None:
    """Start an invocation afresh (the root callback; tests invoke the app many times in one process)."""
    fresh = Output(verbosity=verbosity)
    for field in dataclasses.fields(Output):  # in place: other modules hold a reference to OUTPUT
        setattr(OUTPUT, field.name, getattr(fresh, field.name))


def json_requested(value: bool) -> bool:
    """The --json option's callback: from here on every failure is a JSON document too."""
    if value:
        OUTPUT.json = True
        OUTPUT.command = _command_name()
    return value


def _command_name(ctx: Any = None) -> str:
    """The running command as typed after `mdpool` (e.g. `images lint`), from click's context."""
    from typer._click.globals import get_current_context

    ctx = ctx or get_current_context(silent=True)
    return " ".join(ctx.command_path.split()[1:]) if ctx is not None else OUTPUT.command


JsonOption = Annotated[
    bool,
    typer.Option(
        "--json",
        callback=json_requested,
        help='Print one JSON document on stdout (failures too: {"ok": false, "problems": [...]}).',
    ),
]


def keep_report(report: dict[str, Any] | None) -> None:
    """The command's payload so far: a failure after this point prints it in its JSON document."""
    OUTPUT.report = report


def emit_json(report: dict[str, Any] | None = None, problems: Iterable[object] = (), exit_code: int = 0) -> None:
    """Print this run's JSON document on stdout (mdpool.json_output.document: the one contract).

    `report` is the command's payload (default: what keep_report() kept); `problems` the lines it
    printed, errors and warnings. One document per run: the first one written stands.
    """
    from mdpool.json_output import document

    if OUTPUT.json_written:
        return
    payload = OUTPUT.report if report is None else report
    print(json_text(json.dumps(document(_command_name(), exit_code, problems, payload), indent=2, default=str)), flush=True)
    OUTPUT.json_written = True


def say(*parts: object, err: bool = False) -> None:
    """A message for people: skipped with -q (problems still print; they go through fail())."""
    if OUTPUT.verbosity >= 0:
        echo(*parts, file=sys.stderr if err or OUTPUT.json else sys.stdout)


def note(*parts: object) -> None:
    """A detail for -v (what was read, how long it took), on stderr so stdout stays the command's output."""
    if OUTPUT.verbosity > 0:
        echo(*parts, file=sys.stderr)


def fail(lines: Iterable[object], code: int = 1) -> NoReturn:
    """Print each line to stderr and exit with `code` (1: the input or the cloud said no).

    With --json the lines also form the run's JSON document on stdout (mdpool.json_output), with
    the payload keep_report() kept, so a script gets one document whether the command got far or
    failed on its first argument.

    Each item is one line: a value in it cannot break it, run a CI command or drive the terminal
    (mdpool.printed).
    """
    items = list(lines)
    for line in items:
        echo(line, file=sys.stderr)
    if code == 1:
        _annotate_in_ci(items)
    if OUTPUT.json:
        emit_json(problems=items, exit_code=code)
    raise typer.Exit(code)


def _annotate_in_ci(lines: list[object]) -> None:
    """Under Azure Pipelines or GitHub Actions, the problems again as annotations on the PR's diff."""
    from mdpool.ci_annotations import annotate

    annotate(lines)


def load_config_or_exit(path: Path):
    """Parse and validate the configuration once, at the edge; on bad input print every problem and exit 1."""
    if _names_a_template(path):  # the render child starts while the models load (a tenth of a second)
        from mdpool.imagebuild.render import prepare_rendering

        prepare_rendering()
    from mdpool.loader import load_config

    if OUTPUT.config_missing and not path.exists():
        fail([NOT_FOUND])
    note(f"reading {path}")
    try:
        config = load_config(path)
    except InputError as error:
        fail([*error.problems, *error.warnings])
    warn(config.warnings)
    return config


def _names_a_template(path: Path) -> bool:
    """Whether the config file mentions a `.j2` file (an image definition template), read cheaply; a
    wrong guess costs a render child started for nothing, or started later, never a wrong result."""
    from mdpool.files import read_bounded

    try:  # the bound of a config file (mdpool.yamlsource.MAX_FILE_BYTES), not imported: that loads yaml
        return b".j2" in read_bounded(path, 1024 * 1024)
    except Exception:  # noqa: BLE001 - load_config reports what is wrong with the file
        return False


def warn(warnings: Iterable[Problem]) -> None:
    """Print each warning to stderr (`FILE:LINE: path: warning: ...`); the command goes on (exit 0)."""
    for warning in warnings:
        echo(warning, file=sys.stderr)


def load_environment_or_exit(path: Path):
    """The configuration and every image definition file it names, checked; exit 1 on any problem.

    What synthesizes or deploys goes through this, so a typo in an image definition is reported
    before a synth, a plan or an hour-long build, not after.
    """
    from mdpool.imagebuild import check_image_definitions

    config = load_config_or_exit(path)
    note(f"checking the image definition files of {len(config.gallery.images)} gallery image(s)")
    report(check_image_definitions(config))
    return config


def report(problems: list[Problem]) -> None:
    """Exit 1 after printing the problems, if there are any."""
    if problems:
        ordered: list[Problem] = sorted(problems, key=lambda p: (p.file, p.line or 0, p.path))
        fail(ordered)


PROGRAM = {"running": False}
"""Whether this process is the `mdpool` program (run() below), not a caller of its commands in its own
process (a test, a library): only the program may end the process early (mdpool.bindings)."""


def run(app: Callable[..., Any], args: list[str] | None = None) -> NoReturn:
    """The `mdpool` entry point. With --json anywhere on the line, even a usage error (exit 2) that
    stops the parser before any option is read ends in a JSON document."""
    PROGRAM["running"] = True
    args = sys.argv[1:] if args is None else list(args)
    options = args[: args.index("--")] if "--" in args else args
    if "--json" not in options:
        app(args=args)
        sys.exit(0)
    # typer vendors click; its exception base is private but stable within the pinned typer ~=0.29
    from typer._click.exceptions import ClickException

    try:
        code = app(args=args, standalone_mode=False)
    except ClickException as error:
        echo(f"Error: {error.format_message()} (mdpool --help)", file=sys.stderr)
        stopped_in = getattr(error, "ctx", None)  # a usage error knows the command it stopped in
        if stopped_in is not None:
            OUTPUT.command = _command_name(stopped_in)
        emit_json(problems=[error.format_message()], exit_code=error.exit_code)
        sys.exit(error.exit_code)
    except typer.Abort:
        print("Aborted!", file=sys.stderr)
        emit_json(problems=["aborted"], exit_code=1)
        sys.exit(1)
    code = code if isinstance(code, int) and not isinstance(code, bool) else 0
    if code and not OUTPUT.json_written:  # e.g. Ctrl-C that no command caught: typer returns 130
        print("interrupted" if code == 130 else f"exit {code}", file=sys.stderr)
        emit_json(problems=["interrupted" if code == 130 else f"exit {code}"], exit_code=code)
    elif OUTPUT.json and not OUTPUT.json_written:  # a command that ended without its own document
        emit_json()
    sys.exit(code)
