"""Fuzz the image definition reader from mutations of real definitions (hypothesis).

Whatever a definition file holds (a pull request can hold anything), the reader answers with a
definition or an InputError of one-line problems, quickly, and never with a traceback. What it
accepts, Azure's REST spec accepts too: the template made from any accepted definition passes
the spec check. Sizes: a few seconds in the normal suite; MDPOOL_FUZZ_EXAMPLES=2000 for a longer run.
"""

from __future__ import annotations

import copy
import json
import os
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mdpool.loader import load_config
from mdpool.imagebuild import image_specs
from mdpool.imagebuild.definition import ImageDefinition, parse_definition
from mdpool.imagebuild.images import render_spec
from mdpool.imagebuild.template import PlatformSource, TemplateSettings, image_template
from mdpool.problems import InputError
from tests.imagebuild.conftest import BLOG_IMAGE, IDENTITY, REPO, gallery_image_id
from tests.imagebuild.test_spec_parity import LINUX_EVERY_KIND, SPEC, WINDOWS_EVERY_KIND
from tests.support.swagger_schema import RequestValidator

EXAMPLES = int(os.environ.get("MDPOOL_FUZZ_EXAMPLES", "60"))
TIME_BOUND = 2.0  # seconds for one definition, however hostile (typical: milliseconds)
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _shipped() -> str:
    spec = image_specs(load_config(REPO / "config" / "example.yaml"))[0]
    return render_spec(spec).text


SEEDS = [_shipped(), BLOG_IMAGE, json.dumps(LINUX_EVERY_KIND, indent=1), json.dumps(WINDOWS_EVERY_KIND, indent=1)]
VALIDATOR = RequestValidator(SPEC)
SETTINGS = TemplateSettings(
    image_name="img",
    location="westeurope",
    identity_id=IDENTITY,
    gallery_image_id=gallery_image_id("img"),
    source=PlatformSource("Canonical", "ubuntu-24_04-lts", "server"),
)

# Values that have broken readers before: edges of int32 and of mdpool's limits, odd numbers and text.
NASTY = st.sampled_from(
    [
        0,
        -1,
        1,
        100,
        101,
        4095,
        4096,
        2**31 - 1,
        2**31,
        -(2**31) - 1,
        10**30,
        1.5,
        1e308,
        -0.0,
        True,
        False,
        None,
        "",
        " ",
        "1",
        "01",
        "1\n",
        "٣",
        "x" * 10_000,
        "\u0000",
        "\ud7ff",
        "http://x",
        "https://",
        "https://x/y?sig=s",
        "5m",
        "0s",
        "1h30m",
        "999999h",
        "1e9s",
        "C:\\x",
        "/tmp/x",
        "Standard_LRS",
        "cleanup",
        "ABORT",
        [],
        {},
        [[]],
        [{}],
        ["a", 1],
        {"ShellCustomizer": True},
        {"FileValidator": True},
    ]
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20) | NASTY,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
KEYS = st.sampled_from(
    [
        "DiskSizeGiB",
        "TargetRegion",
        "Customizers",
        "Validators",
        "Name",
        "ReplicaCount",
        "StorageAccountType",
        "ShellCustomizer",
        "PowerShellCustomizer",
        "FileCustomizer",
        "RestartCustomizer",
        "WindowsUpdateCustomizer",
        "ShellValidator",
        "PowerShellValidator",
        "FileValidator",
        "Inline",
        "ScriptUri",
        "Sha256Checksum",
        "RunElevated",
        "RunAsSystem",
        "ValidExitCode",
        "SourceUri",
        "Destination",
        "RestartCommand",
        "RestartCheckCommand",
        "RestartTimeout",
        "Filter",
        "SearchCriterion",
        "UpdateLimit",
        "ValidateContinueDistributeOnFailure",
        "ValidateSourceValidationOnly",
        "ErrorHandlingOnCustomizerError",
        "ErrorHandlingOnValidationError",
        "$schema",
        "inline",
        "INLINE",
        "Inlne",
        "",
        "__proto__",
    ]
) | st.text(max_size=12)


def _paths(node, prefix=()):
    """Every location in a JSON value: containers and leaves."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


def _mutate(doc, data) -> object:
    doc = copy.deepcopy(doc)
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        paths = list(_paths(doc))
        path = data.draw(st.sampled_from(paths), label="where")
        parent, last = None, None
        target = doc
        for part in path:
            parent, last, target = target, part, target[part]
        op = data.draw(st.sampled_from(["replace", "delete", "add_key", "rename", "duplicate"]), label="op")
        if op == "replace" or parent is None and op in ("delete", "rename"):
            value = copy.deepcopy(data.draw(JSON, label="value"))  # sampled constants are shared objects
            if parent is None:
                doc = value
            else:
                parent[last] = value
        elif op == "delete":
            del parent[last]
        elif op == "add_key" and isinstance(target, dict):
            target[data.draw(KEYS, label="key")] = copy.deepcopy(data.draw(JSON, label="value"))
        elif op == "rename" and isinstance(parent, dict):
            parent[data.draw(KEYS, label="key")] = parent.pop(last)
        elif op == "duplicate" and isinstance(target, list) and target:
            target.append(copy.deepcopy(target[0]))
    return doc


def _text_mutation(text: str, data) -> str:
    """Character-level damage: cut, insert or replace a slice anywhere (syntax errors, odd escapes)."""
    start = data.draw(st.integers(0, len(text)), label="start")
    end = data.draw(st.integers(start, min(len(text), start + 40)), label="end")
    insert = data.draw(st.text(alphabet='{}[]",:\\ \n0123456789aeEtrufnl-.\u00e9\u0000', max_size=12), label="insert")
    return text[:start] + insert + text[end:]


def _check(text: str, os_type: str | None, timeout: int | None) -> None:
    started = time.monotonic()
    try:
        definition = parse_definition(text, label="d.json", os_type=os_type, timeout_minutes=timeout)
    except InputError as error:
        assert time.monotonic() - started < TIME_BOUND
        assert error.problems
        for problem in error.problems:
            assert "\n" not in str(problem), str(problem)
        return
    assert time.monotonic() - started < TIME_BOUND
    assert isinstance(definition, ImageDefinition)
    body = image_template(definition, SETTINGS, run_output="aib-20251128120000")
    assert VALIDATOR.errors(body, "ImageTemplate") == []  # what mdpool accepts, Azure's spec accepts


OS_TYPES = st.sampled_from(["Linux", "Windows", None])
TIMEOUTS = st.sampled_from([None, 6, 60, 960])


@FUZZ
@given(seed=st.sampled_from(SEEDS), os_type=OS_TYPES, timeout=TIMEOUTS, data=st.data())
def test_structural_mutations_give_a_definition_or_one_line_problems(seed, os_type, timeout, data):
    _check(json.dumps(_mutate(json.loads(seed), data), indent=1), os_type, timeout)


@FUZZ
@given(seed=st.sampled_from(SEEDS), os_type=OS_TYPES, data=st.data())
def test_text_mutations_give_a_definition_or_one_line_problems(seed, os_type, data):
    _check(_text_mutation(seed, data), os_type, 60)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,  # deeper than any parser's stack
        '{"DiskSizeGiB": ' + "9" * 100_000 + "}",  # longer than Python converts
        '{"DiskSizeGiB": NaN, "TargetRegion": Infinity}',
        '{"TargetRegion": [{"Name": "westeurope"}], "Customizers": ['
        + ",".join(['{"ShellCustomizer": true, "Inline": ["x"]}'] * 2_000)
        + "]}",
        '"' + "\\\\" * 500_000 + '"',
    ],
)
def test_hostile_files_are_answered_quickly(text):
    _check(text, "Linux", 60)
