"""`mdpool review` shows what a pull request changes in the image builds: a variable, and the rendered definition.

Image builds are not Terraform, so before the record (issue 16, class 2) a pull request that changed
only a build variable reviewed as "No changes", however the value changed the definition.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from mdpool.imagebuild.inputs import MANIFEST_KEY
from mdpool.review.escape import code_block
from mdpool.review.image_inputs import MAX_DIFF_LINES, image_input_changes
from tests.conftest import EXAMPLE_CONFIG, REPO, run_mdpool

# backticks, a pipe, a quote and markup: all must stay text in the review
HOSTILE = 'jhp"x ``` | <b>bold</b> [link](https://evil.example) `'


def synthesized(root: Path, name: str, base_name: str | None = None) -> Path:
    """The example synthesized from a copy under `root`, with the images' BaseName set to `base_name`."""
    from mdpool.loader import load_config
    from mdpool.synth import synthesize

    tree = root / name
    shutil.copytree(REPO / "images", tree / "images")
    (tree / "config").mkdir()
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    if base_name is not None:
        for image in data["gallery"]["images"]:
            image["build"]["variables"] = {"BaseName": base_name}
    config = tree / "config" / "example.yaml"
    config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    synthesize(load_config(config), tree / "out")
    return tree / "out"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory, example_synth) -> dict[str, Path]:  # example_synth first: it loads the bindings
    root = tmp_path_factory.mktemp("image-inputs")
    return {"base": synthesized(root, "base"), "hostile": synthesized(root, "hostile", HOSTILE)}


def test_synth_records_each_images_variables_and_rendered_definition(outputs):
    record = json.loads((outputs["hostile"] / "manifest.json").read_text(encoding="utf-8"))[MANIFEST_KEY]
    assert sorted(record) == ["ubuntu-22.04", "ubuntu-24.04"]
    entry = record["ubuntu-22.04"]
    assert entry["definition"] == "../images/ubuntu-buildagent.json.j2"
    assert entry["variables"]["BaseName"] == HOSTILE and entry["variables"]["ImageName"] == "ubuntu-22.04"
    rendered = json.loads(entry["rendered"])
    assert f"'{HOSTILE}'" in rendered["Customizers"][0]["Inline"][0]  # the value, literally, in its one string


def test_a_changed_variable_and_its_rendered_definition_are_in_the_review(outputs):
    result = run_mdpool("review", "--base", str(outputs["base"]), "--head", str(outputs["hostile"]), "--offline")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "Image build inputs: 4 change(s)." in text
    assert "## Image build inputs" in text
    row = next(line for line in text.splitlines() if line.startswith("| `ubuntu-22.04` | variable"))
    # the value as inline code: a fence longer than its backtick run, its pipe escaped for the table
    assert row == "| `ubuntu-22.04` | variable `BaseName`: `jhp-ubuntu-buildagent` → ```` jhp\"x ``` \\| <b>bold</b> [link](https://evil.example) ` ```` |"
    assert "| `ubuntu-22.04` | rendered definition: 2 line(s) added, 2 removed (below) |" in text
    # the diff in a code block whose fence no line of the value can close
    assert "\n````diff\n--- base\n+++ head\n" in text
    assert '+        "echo \'WaitForCloudInit\' Customizer for \'jhp\\"x ``` | <b>bold</b>' in text


def test_unchanged_inputs_add_nothing(outputs, tmp_path):
    same = synthesized(tmp_path, "same")
    result = run_mdpool("review", "--base", str(outputs["base"]), "--head", str(same))
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("No changes: the synthesized stacks are identical.\n")


def test_a_base_without_the_record_says_the_inputs_are_not_compared(outputs, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(outputs["base"], old)
    manifest = json.loads((old / "manifest.json").read_text(encoding="utf-8"))
    del manifest[MANIFEST_KEY]  # as an mdpool before the record wrote it
    (old / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = run_mdpool("review", "--base", str(old), "--head", str(outputs["hostile"]), "--json")
    document = json.loads(result.stdout)
    assert result.returncode == 0 and document["report"]["images_compared"] is False
    assert document["report"]["images"] == [] and document["report"]["has_changes"] is False
    assert "Image build inputs are not compared: the base does not record them" in document["report"]["markdown"]


def test_the_json_review_lists_the_changes(outputs):
    result = run_mdpool("review", "--base", str(outputs["base"]), "--head", str(outputs["hostile"]), "--json", "--offline")
    report = json.loads(result.stdout)["report"]
    assert report["has_changes"] is True and report["images_compared"] is True
    variable = next(c for c in report["images"] if c["change"] == "variable" and c["image"] == "ubuntu-24.04")
    assert variable == {
        "image": "ubuntu-24.04",
        "change": "variable",
        "variable": "BaseName",
        "old": "jhp-ubuntu-buildagent",
        "new": HOSTILE,
        "diff": [],
    }


def entry(text: str, **variables: str) -> dict:
    import hashlib

    return {
        "definition": "d.json.j2",
        "variables": variables,
        "rendered": text,
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
    }


def test_changes_between_two_records():
    base = {"a": entry("x\n", V="1"), "gone": entry("g\n")}
    head = {"a": {**entry("x\ny\n", V="2", W="new"), "definition": "e.json.j2"}, "new": entry("n\n")}
    changes = image_input_changes(base, head)
    assert [(c.image, c.what, c.name, c.old, c.new) for c in changes] == [
        ("a", "definition", "", "d.json.j2", "e.json.j2"),
        ("a", "variable", "V", "1", "2"),
        ("a", "variable", "W", None, "new"),
        ("a", "rendered", "", None, None),
        ("gone", "removed", "", "d.json.j2", None),
        ("new", "added", "", None, "d.json.j2"),
    ]
    assert changes[3].diff[-1] == "+y" and (changes[3].added, changes[3].removed) == (1, 0)
    assert image_input_changes(None, head) == () and image_input_changes(base, None) == ()
    assert image_input_changes(base, base) == ()


def test_a_long_diff_is_cut_at_its_limit():
    many = "".join(f"{i}\n" for i in range(MAX_DIFF_LINES * 2))
    (change,) = image_input_changes({"a": entry("")}, {"a": entry(many)})
    assert len(change.diff) == MAX_DIFF_LINES and change.added == MAX_DIFF_LINES * 2
    few = "".join(f"{i}\n" for i in range(MAX_DIFF_LINES - 3))  # 3 header lines: the whole diff fits exactly
    (change,) = image_input_changes({"a": entry("")}, {"a": entry(few)})
    assert len(change.diff) == MAX_DIFF_LINES and change.diff[-1] == f"+{MAX_DIFF_LINES - 4}"


@pytest.mark.parametrize("value, fence", [("plain", "```"), ("a `` b", "```"), ("```", "````"), ("x\n`````\ny", "``````")])
def test_a_code_block_cannot_be_closed_from_inside(value, fence):
    lines = code_block(value, "diff")
    assert lines[0] == fence + "diff" and lines[-1] == fence
    assert all(not line.startswith(fence) for line in lines[1:-1])


def test_a_definition_too_long_to_compare_line_by_line_is_compared_by_digest():
    from mdpool.review.image_inputs import MAX_COMPARED_LINES

    at_limit = "x\n" * MAX_COMPARED_LINES
    (change,) = image_input_changes({"a": entry("")}, {"a": entry(at_limit)})
    assert change.added == MAX_COMPARED_LINES
    over = at_limit + "y\n"
    (change,) = image_input_changes({"a": entry("")}, {"a": entry(over)})
    assert change.diff == () and change.new == entry(over)["sha256"]
