"""An output folder mdpool did not write never gets Terraform run on it (issue 16, class 6).

`plan/deploy --no-synth` take the output as they find it: every stack is checked against what mdpool
synthesizes (mdpool.deploy.output_check) before Terraform starts, and a hand-made manifest or stack
is one line, never a traceback or a read outside the folder.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from mdpool.deploy import output_check
from mdpool.deploy.errors import DeployError
from mdpool.deploy.orchestrator import SynthOutput
from mdpool.files import MAX_JSON_BYTES, MAX_JSON_DEPTH
from tests.conftest import REPO, run_mdpool
from tests.deploy.test_cli import mdpool_json

FULL_CONFIG = REPO / "tests" / "core" / "configs" / "full.yaml"


@pytest.fixture(scope="module")
def full_synth(tmp_path_factory) -> Path:
    from mdpool.loader import load_config
    from mdpool.synth import synthesize

    out = tmp_path_factory.mktemp("full") / "cdktf.out"
    synthesize(load_config(FULL_CONFIG), out)
    return out


def _documents(out: Path) -> list[dict]:
    manifest = json.loads((out / "manifest.json").read_text())
    return [json.loads((out / entry["synthesizedStackPath"]).read_text()) for entry in manifest["stacks"].values()]


def test_the_allowlist_is_exactly_what_the_example_and_the_full_config_synthesize(example_synth, full_synth, monkeypatch):
    """Derived from real synth output, so a new construct type fails here until the allowlist names it
    (and an entry nothing writes any more fails too)."""
    monkeypatch.delenv(output_check.STANDIN_ENV)
    seen: dict[str, set] = {
        "top": set(),
        "resource": set(),
        "data": set(),
        "provider": set(),
        "backend": set(),
        "settings": set(),
    }
    sources = {}
    for document in _documents(example_synth) + _documents(full_synth):
        seen["top"] |= set(document)
        seen["resource"] |= set(document.get("resource", {}))
        seen["data"] |= set(document.get("data", {}))
        seen["provider"] |= set(document.get("provider", {}))
        seen["settings"] |= set(document["terraform"])
        seen["backend"] |= set(document["terraform"].get("backend", {}))
        sources |= {name: spec["source"] for name, spec in document["terraform"]["required_providers"].items()}
        assert output_check.stack_problems(document, "stack") == []
    assert seen["top"] == output_check.TOP_LEVEL
    assert seen["resource"] == output_check.RESOURCE_TYPES
    assert seen["data"] == output_check.DATA_TYPES
    assert seen["provider"] == set(output_check.PROVIDER_SOURCES)
    assert seen["settings"] == output_check.TERRAFORM_SETTINGS
    assert seen["backend"] == output_check.BACKENDS
    assert sources == output_check.PROVIDER_SOURCES
    for out in (example_synth, full_synth):
        SynthOutput.load(out)  # mdpool's own output passes as it is


@pytest.fixture
def output(example_synth, tmp_path) -> Path:
    """A copy of the example's synth output to spoil by hand."""
    out = tmp_path / "cdktf.out"
    shutil.copytree(example_synth, out)
    return out


def _edit_stack(out: Path, change) -> None:
    path = out / "stacks" / "pool-dev" / "cdk.tf.json"
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


def _edit_manifest(out: Path, change) -> None:
    path = out / "manifest.json"
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


LOCAL_EXEC = {"local-exec": {"command": "touch /tmp/mdpool-pwned"}}
HOSTILE_STACKS = {
    "local-exec on an allowed type": (
        lambda d: d["resource"]["azurerm_resource_group"][next(iter(d["resource"]["azurerm_resource_group"]))].update(
            provisioner=[LOCAL_EXEC]
        ),
        "has a 'provisioner' block",
    ),
    "a connection block": (
        lambda d: d["resource"]["azurerm_resource_group"][next(iter(d["resource"]["azurerm_resource_group"]))].update(
            connection={}
        ),
        "has a 'connection' block",
    ),
    "null_resource": (lambda d: d["resource"].update(null_resource={"x": {"provisioner": [LOCAL_EXEC]}}), "'null_resource'"),
    "terraform_data with a provisioner": (
        lambda d: d["resource"].update(terraform_data={"x": {"provisioner": [LOCAL_EXEC]}}),
        "resource.terraform_data.x has a 'provisioner' block",  # even with the stand-ins' allowance
    ),
    "data external": (lambda d: d["data"].update(external={"x": {"program": ["sh", "-c", "id"]}}), "data type 'external'"),
    "data http": (lambda d: d["data"].update(http={"x": {"url": "https://example.invalid"}}), "data type 'http'"),
    "a module": (lambda d: d.update(module={"m": {"source": "git::https://example.invalid/m"}}), "top-level 'module'"),
    "locals": (lambda d: d.update(locals={"x": '${file("/etc/passwd")}'}), "top-level 'locals'"),
    "another provider source": (
        lambda d: d["terraform"]["required_providers"]["azurerm"].update(source="evil/azurerm"),
        "required_providers.azurerm (source 'evil/azurerm')",
    ),
    "a removed block that destroys": (
        lambda d: d["removed"][0].update(lifecycle={"destroy": True}),
        "does not keep the resource",
    ),
    "a removed block with a provisioner": (
        lambda d: d["removed"][0].update(provisioner=[LOCAL_EXEC]),
        "removed block has 'provisioner'",
    ),
    "an import into a type mdpool does not write": (
        lambda d: d["import"][0].update(to="azurerm_linux_virtual_machine.x"),
        "import into 'azurerm_linux_virtual_machine.x'",
    ),
    "a variable whose validation reads a file": (
        lambda d: d["variable"]["import_azurerm_pool"].update(
            validation=[{"condition": '${file("/etc/passwd") == ""}', "error_message": "x"}]
        ),
        "variable.import_azurerm_pool has 'validation'",
    ),
    "an http backend": (
        lambda d: d["terraform"].update(backend={"http": {"address": "https://example.invalid"}}),
        "backend 'http'",
    ),
    "remote state over http": (
        lambda d: d["data"]["terraform_remote_state"][next(iter(d["data"]["terraform_remote_state"]))].update(backend="http"),
        "reads a backend mdpool does not use",
    ),
    "cloud settings": (lambda d: d["terraform"].update(cloud={"organization": "x"}), "terraform.cloud"),
    "resources of the wrong type": (lambda d: d.update(resource=["x"]), "resource is not an object"),
    "a block of the wrong type": (
        lambda d: d["resource"].update(azurerm_resource_group={"x": "y"}),
        "resource.azurerm_resource_group.x is not an object",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_STACKS))
def test_a_stack_mdpool_would_not_write_is_refused(output, case):
    change, says = HOSTILE_STACKS[case]
    _edit_stack(output, change)
    with pytest.raises(DeployError) as error:
        SynthOutput.load(output)
    assert any(says in line for line in error.value.lines), error.value.lines
    assert error.value.lines[-1].endswith("Terraform was not run. Synthesize it again (without --no-synth)")


def test_terraform_data_is_let_in_only_by_name_for_the_stand_ins(output, monkeypatch):
    _edit_stack(output, lambda d: d["resource"].update(terraform_data={"x": {"input": "y"}}))
    SynthOutput.load(output)  # the deploy tests' allowance (tests/deploy/conftest.py)
    for value in ("", "1", "true", "terraform_data,null_resource"):
        monkeypatch.setenv(output_check.STANDIN_ENV, value)
        with pytest.raises(DeployError, match="'terraform_data' is not one mdpool writes"):
            SynthOutput.load(output)


def test_harmless_look_alikes_pass(output):
    def change(document):
        group = document["resource"]["azurerm_resource_group"]
        name = next(iter(group))
        group[name]["tags"] = {"provisioner": "local-exec", "module": "data external"}
        group["provisioner"] = dict(group[name])  # a resource *named* provisioner

    _edit_stack(output, change)
    SynthOutput.load(output)


@pytest.mark.parametrize("name", ["extra.tf", "evil.tf.json", "x_override.tf", "terraform.tfvars", "a.auto.tfvars.json"])
def test_other_terraform_files_beside_the_stack_are_refused(output, name):
    (output / "stacks" / "pool-dev" / name).write_text('{"resource": {}}')
    with pytest.raises(DeployError, match="Terraform would load it with the stack, and mdpool did not write it"):
        SynthOutput.load(output)


def test_mdpool_s_own_override_file_is_accepted_only_in_its_own_form(output):
    override = output / "stacks" / "pool-dev" / "mdpool_override.tf.json"
    override.write_text(json.dumps({"resource": {"azurerm_shared_image": {"a": {"lifecycle": {"prevent_destroy": False}}}}}))
    SynthOutput.load(output)  # the leftover of an interrupted run: lifted again (removed) before the next plan
    override.write_text(json.dumps({"resource": {"azurerm_shared_image": {"a": {"provisioner": [LOCAL_EXEC]}}}}))
    with pytest.raises(DeployError, match="mdpool_override.tf.json: Terraform would load it"):
        SynthOutput.load(output)


def _outside(tmp_path: Path) -> Path:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "cdk.tf.json").write_text("{}")
    return outside


@pytest.mark.parametrize(
    "working_directory, says",
    [
        ("/etc", "is not a relative path inside the output folder"),
        ("../elsewhere", "is not a relative path inside the output folder"),
        ("stacks/../../elsewhere", "is not a relative path inside the output folder"),
        ("stacks/link", "leads outside the output folder"),
        (None, "is missing or not a path"),
        (7, "is missing or not a path"),
    ],
)
def test_a_working_directory_outside_the_output_is_refused(output, tmp_path, working_directory, says):
    (output / "stacks" / "link").symlink_to(_outside(tmp_path))
    _edit_manifest(output, lambda m: m["stacks"]["pool-dev"].update(workingDirectory=working_directory))
    with pytest.raises(DeployError) as error:
        SynthOutput.load(output)
    (line,) = error.value.lines
    assert "stacks.pool-dev.workingDirectory" in line and says in line


def test_a_working_directory_inside_through_a_link_inside_is_accepted(output):
    (output / "stacks" / "again").symlink_to(output / "stacks" / "pool-dev")
    _edit_manifest(output, lambda m: m["stacks"]["pool-dev"].update(workingDirectory="stacks/again"))
    assert SynthOutput.load(output).directory("pool-dev") == output / "stacks" / "again"


@pytest.mark.parametrize(
    "change, says",
    [
        (lambda m: m["stacks"]["gallery-dev"].update(dependencies=["pool-dev"]), "a cycle through"),
        (lambda m: m["stacks"]["pool-dev"].update(dependencies=["pool-dev"]), "a cycle through pool-dev"),
        (lambda m: m["stacks"]["pool-dev"].update(dependencies=["nowhere"]), "not a list of the manifest's stack names"),
        (lambda m: m["stacks"]["pool-dev"].update(dependencies="gallery-dev"), "not a list of the manifest's stack names"),
        (lambda m: m.pop("stacks"), "stacks: missing"),
        (lambda m: m.update(stacks=["gallery-dev"]), "stacks: missing"),
        (lambda m: m["stacks"].update({f"s{i}": {} for i in range(200)}), "at most 100 stack names"),
        (lambda m: m.clear(), "stacks: missing"),
    ],
)
def test_a_hand_made_manifest_is_one_line(output, change, says):
    _edit_manifest(output, change)
    with pytest.raises(DeployError) as error:
        SynthOutput.load(output)
    (line,) = error.value.lines
    assert says in line and "manifest.json: not a synthesized output" in line


def test_a_long_dependency_chain_is_no_recursion(output):
    def chain(manifest):
        stacks = manifest["stacks"]
        for i in range(98):  # 100 stacks in all: the most a manifest may name
            stacks[f"s{i}"] = {"dependencies": [f"s{i + 1}"] if i < 97 else [], "workingDirectory": "stacks/pool-dev"}

    _edit_manifest(output, chain)
    order = list(SynthOutput.load(output).directories)  # ordered without recursion: dependencies first
    assert len(order) == 100 and order.index("s97") < order.index("s0")


@pytest.mark.parametrize("depth, ok", [(MAX_JSON_DEPTH, True), (MAX_JSON_DEPTH + 1, False), (100_000, False)])
def test_json_nesting_is_bounded(output, depth, ok):
    def nest(document):
        document["output"] = {"deep": {"value": json.loads("[" * (depth - 3) + "]" * (depth - 3))}}

    path = output / "stacks" / "pool-dev" / "cdk.tf.json"
    if depth > 1000:  # beyond what json.dumps can write
        path.write_text("[" * depth + "]" * depth)
    else:
        _edit_stack(output, nest)
    if ok:
        SynthOutput.load(output)
        return
    with pytest.raises(DeployError, match=f"nests deeper than {MAX_JSON_DEPTH} levels"):
        SynthOutput.load(output)


def test_a_huge_stack_file_is_refused_without_reading_it_all(output):
    path = output / "stacks" / "pool-dev" / "cdk.tf.json"
    with path.open("r+b") as file:
        file.truncate(MAX_JSON_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(DeployError, match=f"is larger than {MAX_JSON_BYTES} bytes"):
        SynthOutput.load(output)


def test_a_fifo_as_stack_file_does_not_block(output):
    path = output / "stacks" / "pool-dev" / "cdk.tf.json"
    path.unlink()
    os.mkfifo(path)
    with pytest.raises(DeployError, match="is a named pipe \\(FIFO\\), not a regular file"):
        SynthOutput.load(output)


# --- the CLI: refused before terraform runs, one line per problem --------------------------------------


def test_plan_no_synth_runs_no_provisioner(workspace, terraform_env, tmp_path):
    sentinel = tmp_path / "pwned"
    stack = workspace.out / "stacks" / "gallery-dev" / "cdk.tf.json"
    document = json.loads(stack.read_text())
    first = next(iter(document["resource"]["terraform_data"]))
    document["resource"]["terraform_data"][first]["provisioner"] = [{"local-exec": {"command": f"touch {sentinel}"}}]
    stack.write_text(json.dumps(document))
    from tests.deploy.conftest import CONFIG

    code, summary, stderr = mdpool_json(
        "plan", "--config", str(CONFIG), "--out", str(workspace.out), "--no-synth", env=terraform_env
    )
    assert code == 1 and not summary  # a failure: the JSON document carries no report
    assert not sentinel.exists()
    assert "has a 'provisioner' block; mdpool writes none" in stderr
    assert "Traceback" not in stderr and "terraform" not in stderr.lower().replace("terraform was not run", "").replace(
        "mdpool_test_standin_stacks", ""
    ).replace("terraform_data", "")


def test_plan_no_synth_on_a_cyclic_manifest_is_one_line(workspace, terraform_env):
    _edit_manifest(workspace.out, lambda m: m["stacks"]["gallery-dev"].update(dependencies=["pool-dev"]))
    from tests.deploy.conftest import CONFIG

    done = run_mdpool("plan", "--config", str(CONFIG), "--out", str(workspace.out), "--no-synth", env=terraform_env)
    assert done.returncode == 1
    problems = [line for line in done.stderr.splitlines() if not line.startswith("warning: MDPOOL_TEST_STANDIN_STACKS")]
    assert len(problems) == 1 and "a cycle through" in problems[0], done.stderr


# --- a saved plan folder names its plan file: a name in that folder, never a path out of it ---------------


@pytest.mark.parametrize(
    "plan_file, ok", [("gallery-dev.tfplan", True), ("../victim", False), ("/etc/passwd", False), ("a/../../victim", False)]
)
def test_a_saved_plan_applies_and_deletes_only_a_file_in_its_folder(tmp_path, plan_file, ok):
    from mdpool.deploy.saved_plan import FORMAT, MANIFEST, SavedPlan

    folder = tmp_path / "plan"
    (folder / "synth").mkdir(parents=True)
    (folder / "synth" / "manifest.json").write_text("{}")
    (folder / "gallery-dev.tfplan").write_text("plan")
    (tmp_path / "victim").write_text("keep")
    manifest = {"format": FORMAT, "stage": "gallery", "environment": "dev", "stack": "gallery-dev", "plan_file": plan_file}
    (folder / MANIFEST).write_text(json.dumps(manifest))
    if ok:
        assert SavedPlan.load(folder).plan_path == folder / "gallery-dev.tfplan"
        return
    with pytest.raises(DeployError, match="not a saved mdpool plan"):
        SavedPlan.load(folder)


def test_local_exec_for_the_signal_tests_only_when_spelt_out_and_only_on_terraform_data(output, monkeypatch):
    monkeypatch.setenv(output_check.STANDIN_ENV, output_check.STANDIN_WITH_LOCAL_EXEC)
    _edit_stack(output, lambda d: d["resource"].update(terraform_data={"slow": {"provisioner": [LOCAL_EXEC]}}))
    SynthOutput.load(output)
    for spoil in (
        lambda d: d["resource"]["terraform_data"]["slow"].update(provisioner=[{"remote-exec": {"inline": ["id"]}}]),
        lambda d: d["resource"]["terraform_data"]["slow"].update(connection={"host": "example.invalid"}),
        lambda d: d["resource"]["azurerm_resource_group"][next(iter(d["resource"]["azurerm_resource_group"]))].update(
            provisioner=[LOCAL_EXEC]
        ),
    ):
        _edit_stack(output, spoil)
        with pytest.raises(DeployError, match="block; mdpool writes none"):
            SynthOutput.load(output)
