"""The rendered deploy pipeline applies exactly the plan that was approved, signs in only through
workload identity federation with the variables the azurerm provider reads, and caches what it installs."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from tests.pipelines.schema import load_pipeline
from tests.pipelines.test_render import azure_steps, scripts, stages

TERRAFORM_STAGES = ("gallery", "pool")


def deploy(rendered, variant="azurerm-state") -> dict[str, dict]:
    return {stage["stage"]: stage for stage in stages(rendered[variant]["deploy.yml"])}


def steps_of(job: dict) -> list[dict]:
    return job["steps"] if "steps" in job else job["strategy"]["runOnce"]["deploy"]["steps"]


def mdpool_lines(job: dict) -> list[str]:
    joined = "\n".join(scripts(job)).replace("\\\n", " ")
    return [line[line.index(".venv/bin/mdpool") :].strip() for line in joined.splitlines() if ".venv/bin/mdpool" in line]


@pytest.mark.parametrize("variant", ["azurerm-state", "no-builds", "long-builds"])
def test_each_stage_is_planned_saved_and_published_before_its_approval(rendered, variant):
    found = deploy(rendered, variant)
    for name in [s for s in ("gallery", "images", "pool") if s in found]:
        plan_stage, apply_stage = found[f"{name}_plan"], found[name]
        assert apply_stage["dependsOn"] == f"{name}_plan"
        (plan_job,) = plan_stage["jobs"]
        assert "environment" not in plan_job  # the approval belongs to the next stage, after the plan
        assert plan_job["variables"] == [{"name": "PLAN_DIR", "value": f"$(Build.ArtifactStagingDirectory)/plan-{name}"}]
        doctor = [call for call in mdpool_lines(plan_job) if call.startswith(".venv/bin/mdpool doctor ")]
        assert len(doctor) == (name == "gallery")  # the checks run once, in the first stage signed in to Azure
        (plan_call,) = [call for call in mdpool_lines(plan_job) if call not in doctor]
        assert plan_call.startswith(f'.venv/bin/mdpool plan --stage {name} --save "$PLAN_DIR"')
        assert 'echo "##vso[task.uploadsummary]$PLAN_DIR/summary.md"' in "\n".join(scripts(plan_job))
        published = [s for s in steps_of(plan_job) if s.get("task") == "PublishPipelineArtifact@1"]
        assert [s["inputs"] for s in published] == [{"targetPath": "$(PLAN_DIR)", "artifact": f"plan-{name}"}]


@pytest.mark.parametrize("variant", ["azurerm-state", "no-builds", "long-builds", "example"])
def test_every_apply_job_consumes_its_plan_artifact_and_plans_nothing(rendered, variant):
    found = deploy(rendered, variant)
    applied = 0
    for name in [s for s in ("gallery", "images", "pool") if s in found]:
        for job in found[name]["jobs"]:
            steps = steps_of(job)
            assert steps[0] == {"download": "current", "artifact": f"plan-{name}"}, (name, job["deployment"])
            downloads = [s for s in steps if "download" in s]
            assert downloads == [steps[0]]  # this plan only
            text = "\n".join(
                line for line in "\n".join(scripts(job)).splitlines() if not line.lstrip().startswith("#")
            )  # commands, not comments
            # besides the apply, only the pool stage's `mdpool verify`, which reads
            calls = [call for call in mdpool_lines(job) if not (name == "pool" and call.startswith(".venv/bin/mdpool verify "))]
            assert calls and all(
                call.startswith(f'.venv/bin/mdpool deploy --plan "$PIPELINE_WORKSPACE/plan-{name}"') for call in calls
            ), calls
            assert not re.search(r"mdpool (plan|synth)\b", text)
            assert not re.search(r"\bterraform (plan|apply)\b", text)
            assert "--auto-approve" not in text and "--no-synth" not in text
            applied += 1
    assert applied >= (2 if variant == "no-builds" else 4)


def test_nothing_else_in_the_deploy_pipeline_applies(rendered):
    """No job outside the approved stages runs `mdpool deploy`, and those run it only with --plan."""
    for stage in stages(rendered["azurerm-state"]["deploy.yml"]):
        for job in stage["jobs"]:
            for call in mdpool_lines(job):
                if call.startswith(".venv/bin/mdpool deploy"):
                    assert stage["stage"] in ("gallery", "images", "pool") and " --plan " in call, call


# --- sign-in: the variables the azurerm provider and backend read, from AzureCLI@2's outputs -------

# hashicorp/terraform-provider-azurerm internal/provider/provider.go (the provider schema's
# DefaultFunc env names) and the azurerm backend: use_oidc <- ARM_USE_OIDC, client_id <- ARM_CLIENT_ID,
# tenant_id <- ARM_TENANT_ID, subscription_id <- ARM_SUBSCRIPTION_ID, ado_pipeline_service_connection_id
# <- ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID, oidc_request_url <- ARM_OIDC_REQUEST_URL, oidc_request_token
# <- ARM_OIDC_REQUEST_TOKEN. AzureCLI@2 (addSpnToEnvironment, workload identity federation) exports the
# AZURESUBSCRIPTION_* values; the agent exports SYSTEM_OIDCREQUESTURI; SYSTEM_ACCESSTOKEN is mapped.
EXPECTED_SIGN_IN = {
    "ARM_USE_OIDC": "true",
    "ARM_CLIENT_ID": "client-from-connection",
    "ARM_TENANT_ID": "tenant-from-connection",
    "ARM_SUBSCRIPTION_ID": "00000000-0000-0000-0000-000000000000",
    "ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID": "connection-id",
    "ARM_OIDC_REQUEST_URL": "https://dev.azure.com/org/oidc",
    "ARM_OIDC_REQUEST_TOKEN": "job-access-token",
    "AZURE_TOKEN_CREDENTIALS": "AzureCliCredential",
}
TASK_ENVIRONMENT = {
    "AZURESUBSCRIPTION_CLIENT_ID": "client-from-connection",
    "AZURESUBSCRIPTION_TENANT_ID": "tenant-from-connection",
    "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID": "connection-id",
    "SYSTEM_OIDCREQUESTURI": "https://dev.azure.com/org/oidc",
    "SYSTEM_ACCESSTOKEN": "job-access-token",
}


def sign_in_prefix(script: str) -> str:
    """The script up to the last sign-in export (what every Azure step runs before its command)."""
    lines = script.splitlines()
    last = max(i for i, line in enumerate(lines) if line.startswith("export AZURE_TOKEN_CREDENTIALS="))
    return "\n".join(lines[: last + 1])


def run_bash(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(["bash", "-c", script], env={**base, **env}, capture_output=True, text=True, timeout=30, check=False)


def every_azure_script(rendered) -> list[tuple[str, str]]:
    found = []
    for variant, files in rendered.items():
        for name, text in files.items():
            for step in azure_steps(load_pipeline(text)):
                found.append((f"{variant}/{name}/{step['displayName']}", step["inputs"]["inlineScript"]))
    return found


def test_every_azure_step_hands_terraform_exactly_the_oidc_variables(rendered):
    scripts_ = every_azure_script(rendered)
    assert len(scripts_) >= 20
    for where, script in scripts_:
        prefix = sign_in_prefix(script)
        done = run_bash(prefix + "\nenv", TASK_ENVIRONMENT)
        assert done.returncode == 0, (where, done.stderr)
        exported = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
        assert {k: exported.get(k) for k in EXPECTED_SIGN_IN} == EXPECTED_SIGN_IN, where
        # nothing else named like a credential: a misspelt name would be an extra, ignored variable
        assert sorted(k for k in exported if k.startswith("ARM_")) == sorted(
            k for k in EXPECTED_SIGN_IN if k.startswith("ARM_")
        ), where


@pytest.mark.parametrize(
    "broken",
    [
        ("export ARM_USE_OIDC=true", "export ARM_USE_ODIC=true"),
        ('export ARM_CLIENT_ID="$AZURESUBSCRIPTION_CLIENT_ID"', ""),
        ('export ARM_OIDC_REQUEST_TOKEN="$SYSTEM_ACCESSTOKEN"', 'export ARM_OIDC_REQUEST_TOKN="$SYSTEM_ACCESSTOKEN"'),
        (
            'export ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID="$AZURESUBSCRIPTION_SERVICE_CONNECTION_ID"',
            'export ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID="$AZURESUBSCRIPTION_CLIENT_ID"',
        ),
    ],
)
def test_a_dropped_or_misspelt_oidc_variable_is_caught(rendered, broken):
    where, script = every_azure_script(rendered)[0]
    good, bad = broken
    assert good in script
    done = run_bash(sign_in_prefix(script.replace(good, bad)) + "\nenv", TASK_ENVIRONMENT)
    exported = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    ok = {k: exported.get(k) for k in EXPECTED_SIGN_IN} == EXPECTED_SIGN_IN and sorted(
        k for k in exported if k.startswith("ARM_")
    ) == sorted(k for k in EXPECTED_SIGN_IN if k.startswith("ARM_"))
    assert not ok, f"the check above would not notice: {bad!r}"


@pytest.mark.parametrize(
    "missing", ["AZURESUBSCRIPTION_CLIENT_ID", "AZURESUBSCRIPTION_TENANT_ID", "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID"]
)
def test_a_connection_without_workload_identity_federation_stops_with_one_line(rendered, missing):
    for where, script in every_azure_script(rendered):
        env = {k: v for k, v in TASK_ENVIRONMENT.items() if k != missing}
        done = run_bash(script, env)  # the whole step: it must stop before anything else runs
        assert done.returncode == 1, where
        assert done.stderr == "", (where, done.stderr)  # no "unbound variable"
        (line,) = done.stdout.splitlines()
        assert line.startswith(
            "##vso[task.logissue type=error]service connection mdpool-dev does not use workload identity federation"
        ), where
        assert "Convert to workload identity federation" in line


# --- caching -------------------------------------------------------------------------------------


def test_caches_are_keyed_by_the_lock_files(rendered):
    for variant, files in rendered.items():
        for name, text in files.items():
            for stage in stages(text):
                for job in stage["jobs"]:
                    steps = steps_of(job)
                    if not any("make " in s.get("script", "") for s in steps):
                        continue
                    caches = {s["inputs"]["path"]: s["inputs"] for s in steps if s.get("task") == "Cache@2"}
                    assert "Pipfile.lock" in caches[".venv"]["key"], (variant, name)
                    assert "package-lock.json" in caches["node_modules"]["key"]
                    runs_terraform = any("terraform" in s.get("displayName", "").lower() for s in steps)
                    if runs_terraform:
                        assert "mdpool/stacks/locks/**" in caches["$(TF_PLUGIN_CACHE_DIR)"]["key"]
                    install = next(i for i, s in enumerate(steps) if "make " in s.get("script", ""))
                    assert all(i < install for i, s in enumerate(steps) if s.get("task") == "Cache@2")


def test_the_deploy_pipeline_locks_providers_and_caches_them_outside_the_checkout(rendered):
    variables = {v["name"]: v["value"] for v in load_pipeline(rendered["azurerm-state"]["deploy.yml"])["variables"]}
    assert variables["TF_PLUGIN_CACHE_DIR"] == "$(Pipeline.Workspace)/.terraform-providers"
    assert variables["MDPOOL_PROVIDER_LOCK"] == "readonly"


# --- the scheduled image refresh -----------------------------------------------------------------


def test_the_refresh_runs_on_the_configured_schedule_even_without_commits(rendered, variant_settings):
    document = load_pipeline(rendered["azurerm-state"]["refresh-images.yml"])
    assert document["schedules"] == [
        {"cron": "0 3 * * 1", "displayName": "Image refresh", "branches": {"include": ["main"]}, "always": "true"}
    ]
    assert document["trigger"] == "none" and document["pr"] == "none"
    custom = render_with(variant_settings["azurerm-state"], image_refresh_cron="30 2 * * 0")
    assert load_pipeline(custom)["schedules"][0]["cron"] == "30 2 * * 0"


def render_with(settings, **changes) -> str:
    import dataclasses

    from mdpool.pipelines.render import render_pipelines

    return render_pipelines(dataclasses.replace(settings, **changes))["refresh-images.yml"]


def test_the_refresh_plans_then_builds_exactly_the_plan_and_skips_the_stage_when_nothing_moved(rendered):
    plan, images = stages(rendered["azurerm-state"]["refresh-images.yml"])
    assert (plan["stage"], images["stage"]) == ("images_plan", "images")
    assert images["dependsOn"] == "images_plan"
    # nothing to build: the stage is skipped, so nobody is asked to approve an empty build
    assert images["condition"] == "and(succeeded(), ne(dependencies.images_plan.outputs['plan.save.TO_BUILD'], '0'))"
    (save,) = [s for s in steps_of(plan["jobs"][0]) if s.get("name") == "save"]
    assert "##vso[task.setvariable variable=TO_BUILD;isOutput=true]$to_build" in save["inputs"]["inlineScript"]
    # the build jobs are the deploy pipeline's: the same approved-plan flow
    deploy_images = deploy(rendered)["images"]
    assert images["jobs"] == deploy_images["jobs"]
    for job in images["jobs"]:
        assert job["environment"] == "mdpool-dev-images"


def test_the_refresh_counts_what_the_saved_plan_builds(rendered, tmp_path):
    """The TO_BUILD line, run as the step runs it, on an images.json as `mdpool plan --save` writes it."""
    import json
    import sys

    (save,) = [
        s for s in steps_of(stages(rendered["azurerm-state"]["refresh-images.yml"])[0]["jobs"][0]) if s.get("name") == "save"
    ]
    script = save["inputs"]["inlineScript"]
    count = next(line for line in script.splitlines() if line.startswith("to_build="))
    for images, expected in [([True, False], "1"), ([False, False], "0"), ([True, True], "2")]:
        (tmp_path / "images.json").write_text(json.dumps({"images": [{"build": b} for b in images]}))
        done = run_bash(count.replace(".venv/bin/python", sys.executable) + '\necho "$to_build"', {"PLAN_DIR": str(tmp_path)})
        assert done.stdout.strip() == expected, done.stderr


def test_local_state_stops_the_refresh_too(rendered):
    first = stages(rendered["example"]["refresh-images.yml"])[0]
    assert first["stage"] == "state" and azure_steps(first) == []


def test_every_pipeline_that_caches_providers_says_where(rendered):
    for variant, files in rendered.items():
        for name, text in files.items():
            if "$(TF_PLUGIN_CACHE_DIR)" in text:
                variables = {v["name"]: v["value"] for v in load_pipeline(text)["variables"]}
                assert variables.get("TF_PLUGIN_CACHE_DIR") == "$(Pipeline.Workspace)/.terraform-providers", (variant, name)
