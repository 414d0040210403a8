"""Property-based fuzzing of the config loader (issue 9 item 8, config half).

Real files (config/example.yaml, tests/core/configs/**.yaml) are mutated: lines dropped, repeated or
re-indented, values swapped for hostile ones (tags, aliases, huge or leading-zero numbers, control
characters, trailing newlines, deep nesting). Whatever comes out, loading it either gives a config
or raises InputError whose problems are one line each, never another exception, and answers in
bounded time. The normal suite runs a small, deterministic sample in seconds; set
MDPOOL_FUZZ_EXAMPLES to run more.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mdpool.config import EnvironmentConfig
from mdpool.loader import load_config
from mdpool.problems import InputError
from tests.conftest import EXAMPLE_CONFIG, REPO

SEEDS = [EXAMPLE_CONFIG, *sorted((REPO / "tests" / "core" / "configs").rglob("*.yaml"))]
SEED_TEXTS = [path.read_text() for path in SEEDS]
HOSTILE_VALUES = [
    "010",
    "08",
    "-0",
    "0x1F",
    "0o777",
    "1e999",
    ".nan",
    "-.inf",
    "9" * 400,
    "2147483648",
    "-2147483649",
    "!!python/object/apply:os.system [id]",
    "!!str 5",
    "!custom x",
    "&a [*a]",
    "*missing",
    "<<: {}",
    "'\\n'",
    '"a\\u0000b"',
    '"x\\n"',
    "~",
    "null",
    "true",
    "no",
    "''",
    "[]",
    "{}",
    "[[[[[[[[[[]]]]]]]]]]",
    '"00000000-0000-0000-0000-000000000000\\n"',
    '"00:30:00\\n"',
    "Europe/Berlin",
    "UTC-11",
    "/",
    "//",
    "/subscriptions/x/resourceGroups",
    "https://dev.azure.com/x/",
    "ops@contoso.com",
    "é" * 300,
    "\t",
    "|\n  a",
]
EXAMPLES = int(os.environ.get("MDPOOL_FUZZ_EXAMPLES", "40"))
TIME_BOUND = 2.0  # seconds per load, far above the ~10 ms a real config takes


@st.composite
def mutated_configs(draw) -> str:
    lines = draw(st.sampled_from(SEED_TEXTS)).splitlines()
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        if not lines:
            break
        index = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        line = lines[index]
        kind = draw(st.sampled_from(["value", "value", "drop", "repeat", "indent", "insert", "truncate"]))
        if kind == "value" and ":" in line:
            key = line.split(":", 1)[0]
            value = draw(st.one_of(st.sampled_from(HOSTILE_VALUES), st.text(max_size=20)))
            lines[index] = f"{key}: {value}"
        elif kind == "drop":
            del lines[index]
        elif kind == "repeat":
            lines.insert(index, line)
        elif kind == "indent":
            lines[index] = " " * draw(st.integers(min_value=0, max_value=6)) + line.lstrip()
        elif kind == "insert":
            position = draw(st.integers(min_value=0, max_value=len(line)))
            lines[index] = line[:position] + draw(st.text(max_size=5)) + line[position:]
        elif kind == "truncate":
            lines = lines[:index]
    return "\n".join(lines) + "\n"


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("MDPOOL_FUZZ_RANDOM"),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated_configs())
def test_loader_never_crashes(text):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "env.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        started = time.perf_counter()
        try:
            config = load_config(path)
        except InputError as error:
            assert error.problems, "an InputError names at least one problem"
            for problem in [*error.problems, *error.warnings]:
                line = str(problem)
                assert "\n" not in line and "\r" not in line, line
                assert line.startswith(str(path)), line
        else:
            assert isinstance(config, EnvironmentConfig)
            for warning in config.warnings:
                assert "\n" not in str(warning)
        assert time.perf_counter() - started < TIME_BOUND


YAML_ALPHABET = st.sampled_from(list("abc019:-[]{},&*!|>'\"#?<% \t\n.") + ["\\n", "<<", "!!", "\x00", "é"])


@settings(
    max_examples=EXAMPLES * 2,
    deadline=None,
    derandomize=not os.environ.get("MDPOOL_FUZZ_RANDOM"),
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(YAML_ALPHABET, max_size=60).map("".join))
def test_reader_never_crashes_on_any_text(text):
    from mdpool.yamlsource import load_yaml

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "any.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            load_yaml(path)
        except InputError as error:
            assert all("\n" not in str(problem) for problem in error.problems)
