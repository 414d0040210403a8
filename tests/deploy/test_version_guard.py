"""The pool's version guard on the real terraform binary: no plan while a gallery image has no usable version.

The stand-in pool is a `terraform_data` carrying the very precondition the pool construct puts on the
real pool (`mdpool.constructs.version_guard.image_precondition`). What the real stack reads with
`data.azapi_resource_list` (an image definition's versions, kept when `provisioningState` is
Succeeded) is stood in for by a local holding a versions list response (the shape of the Compute
API's list: `value[].name`, `value[].properties.provisioningState`), filtered by the same rule in HCL.
Only cdktn is loaded, never a provider binding; terraform plans offline in a fraction of a second.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mdpool.node import use_bundled_node


def version(name: str, state: str) -> dict:
    return {"name": name, "properties": {"provisioningState": state}}


def synthesize_guarded_pool(out: Path, versions: list[dict], pinned: str) -> Path:
    """A stack `pool-guard` whose stand-in pool needs a Succeeded version (`pinned`, or any for latest)."""
    from cdktn import App, LocalBackend, TerraformLocal, TerraformStack
    from cdktn import DataResource

    from mdpool.constructs.version_guard import image_precondition

    use_bundled_node()
    app = App(outdir=str(out), stack_traces=False)
    stack = TerraformStack(app, "pool-guard")
    LocalBackend(stack, path="state.tfstate")
    listed = TerraformLocal(stack, "versions_response", {"value": versions})
    succeeded = TerraformLocal(
        stack,
        "succeeded_versions",
        # the stand-in for azapi's `value[?properties.provisioningState=='Succeeded'].name`
        f'${{[for v in local.{listed.friendly_unique_id}.value : v.name if v.properties.provisioningState == "Succeeded"]}}',
    )
    DataResource(
        stack,
        "pool",
        input={"name": "mdp-jhp-dev-weu"},
        lifecycle={"precondition": [image_precondition("ubuntu-22.04", pinned, succeeded.as_list)]},
    )
    app.synth()
    return out / "stacks" / "pool-guard"


def plan(stack_dir: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    Path(env["TF_PLUGIN_CACHE_DIR"]).mkdir(parents=True, exist_ok=True)
    init = subprocess.run(
        ["terraform", "init", "-input=false", "-no-color"], cwd=stack_dir, env=env, capture_output=True, text=True, timeout=120
    )
    assert init.returncode == 0, init.stderr
    return subprocess.run(
        ["terraform", "plan", "-input=false", "-no-color", "-lock=false"],
        cwd=stack_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(
    "versions, pinned",
    [
        ([], "latest"),  # the image was never built
        ([version("1.0.0", "Failed")], "latest"),  # a version exists but did not succeed
        ([version("1.0.0", "Creating")], "latest"),  # still replicating
        ([version("1.0.0", "Succeeded")], "1.0.1"),  # the pinned version is not there
    ],
)
def test_the_pool_refuses_to_plan_without_a_usable_version(tmp_path, terraform_env, versions, pinned):
    result = plan(synthesize_guarded_pool(tmp_path / "out", versions, pinned), terraform_env)
    assert result.returncode != 0
    wanted = "no Succeeded version" + ("" if pinned == "latest" else f" {pinned}")
    assert (
        f"gallery image ubuntu-22.04 has {wanted} yet; run `mdpool images build ubuntu-22.04` "
        "(or the images stage of `mdpool deploy`), then plan the pool stack again"
    ) in one_line(result.stderr)


@pytest.mark.parametrize(
    "versions, pinned",
    [
        ([version("1.0.0", "Succeeded")], "latest"),
        ([version("1.0.0", "Failed"), version("1.0.1", "Succeeded")], "latest"),
        ([version("1.0.0", "Succeeded"), version("1.0.1", "Failed")], "1.0.0"),
    ],
)
def test_the_pool_plans_once_a_version_succeeded(tmp_path, terraform_env, versions, pinned):
    result = plan(synthesize_guarded_pool(tmp_path / "out", versions, pinned), terraform_env)
    assert result.returncode == 0, result.stderr
    assert "terraform_data.pool will be created" in result.stdout


def synthesize_listed_definitions(out: Path, definitions: list[str]) -> Path:
    """A stack `pool-definitions`: the gallery's definitions (a local in the shape of the Compute API's list)
    and a stand-in of the versions list that fails to read as azapi's does when the definition is gone
    ("Failed to list resources"): a `terraform_remote_state` whose state path is a folder. It carries
    the precondition the pool construct puts on the real versions list."""
    from cdktn import App, DataTerraformRemoteStateLocal, LocalBackend, TerraformLocal, TerraformStack

    from mdpool.constructs.version_guard import definition_precondition

    use_bundled_node()
    app = App(outdir=str(out), stack_traces=False)
    stack = TerraformStack(app, "pool-definitions")
    LocalBackend(stack, path="state.tfstate")
    listed = TerraformLocal(stack, "definitions_response", {"value": [{"name": name} for name in definitions]})
    names = TerraformLocal(stack, "definition_names", f"${{local.{listed.friendly_unique_id}.value[*].name}}")  # value[].name
    (out / "unreadable.tfstate").mkdir(parents=True)
    versions = DataTerraformRemoteStateLocal(stack, "versions", path="../../unreadable.tfstate")
    check = definition_precondition("ubuntu-22.04", "gal_jhp_dev_weu", names.as_list)
    versions.add_override("lifecycle", {"precondition": [{"condition": check.condition, "error_message": check.error_message}]})
    app.synth()
    return out / "stacks" / "pool-definitions"


def test_a_missing_image_definition_fails_the_plan_with_mdpools_message(tmp_path, terraform_env):
    result = plan(synthesize_listed_definitions(tmp_path / "out", ["ubuntu-24.04"]), terraform_env)
    assert result.returncode != 0
    assert (
        "gallery image ubuntu-22.04 has no image definition in gallery gal_jhp_dev_weu; apply the gallery stage "
        "(`mdpool deploy --stage gallery`), then build the image and plan the pool stack again"
    ) in one_line(result.stderr)
    assert "Failed to read state file" not in result.stderr  # the list itself is never read


@pytest.mark.parametrize("listed", [["ubuntu-22.04"], ["Ubuntu-22.04", "ubuntu-24.04"]])  # Azure compares names ignoring case
def test_a_listed_definition_passes_the_check(tmp_path, terraform_env, listed):
    result = plan(synthesize_listed_definitions(tmp_path / "out", listed), terraform_env)
    # the precondition holds, so terraform goes on to read the versions list (here: the stand-in's failure)
    assert "Failed to read state file" in result.stderr
    assert "has no image definition" not in result.stderr
