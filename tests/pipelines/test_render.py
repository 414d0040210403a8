"""What the rendered pipelines do: stages and their order, environments, sign-in, the mdpool
commands they call, and that the committed files are what the templates render today."""

from __future__ import annotations

import dataclasses
import re
import shlex
import shutil

import pytest

from mdpool.pipelines.render import render_pipelines
from tests.conftest import EXAMPLE_CONFIG, REPO, run_mdpool
from tests.pipelines.schema import load_pipeline

# Flags the pipelines call that a command does not have yet (none: `mdpool deploy --stage` exists
# now). Every flag a pipeline calls must exist.
PENDING_FLAGS: set[tuple[str, str]] = set()


def stages(text: str) -> list[dict]:
    return load_pipeline(text)["stages"]


def scripts(node) -> list[str]:
    """Every bash script in a pipeline: script steps and AzureCLI@2 inline scripts."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("script", "inlineScript") and isinstance(value, str):
                found.append(value)
            else:
                found.extend(scripts(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(scripts(item))
    return found


def azure_steps(node) -> list[dict]:
    if isinstance(node, dict):
        return ([node] if node.get("task") == "AzureCLI@2" else []) + [s for v in node.values() for s in azure_steps(v)]
    if isinstance(node, list):
        return [s for item in node for s in azure_steps(item)]
    return []


def test_the_committed_pipelines_are_what_the_templates_render(example_config):
    from mdpool.pipelines.settings import pipeline_settings

    for name, text in render_pipelines(pipeline_settings(example_config, "config/example.yaml")).items():
        committed = REPO / "pipelines" / name
        assert committed.is_file(), f"{committed} is missing: run `mdpool pipeline render`"
        assert committed.read_text(encoding="utf-8") == text, f"{committed} is stale: run `mdpool pipeline render`"


def test_check_passes_on_the_committed_files_and_fails_on_a_stale_copy(tmp_path):
    fresh = run_mdpool("pipeline", "render", "--check")
    assert fresh.returncode == 0, fresh.stderr
    assert fresh.stdout == "pipelines/pull-request.yml, pipelines/deploy.yml, pipelines/refresh-images.yml: up to date\n"

    stale = tmp_path / "pipelines"
    shutil.copytree(REPO / "pipelines", stale)
    (stale / "deploy.yml").write_text((stale / "deploy.yml").read_text() + "# edited by hand\n")
    (stale / "pull-request.yml").unlink()
    result = run_mdpool("pipeline", "render", "--check", "--out", str(stale))
    assert result.returncode == 1
    again = f"run `mdpool pipeline render --config config/example.yaml --out {stale.as_posix()}`"
    assert result.stderr.splitlines() == [
        f"{stale / 'pull-request.yml'}: missing; {again}",
        f"{stale / 'deploy.yml'}: out of date with config/example.yaml and the templates; {again}",
    ]


def test_render_writes_the_files_and_notes_local_state(tmp_path):
    result = run_mdpool("pipeline", "render", "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    for name in ("pull-request.yml", "deploy.yml"):
        assert (tmp_path / "out" / name).read_bytes() == (REPO / "pipelines" / name).read_bytes()
    assert "state.backend: local" in result.stderr and "refuses to run" in result.stderr


def test_an_invalid_config_writes_nothing(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE_CONFIG.read_text().replace("maximum_concurrency: 10", "maximum_concurrency: 0"))
    result = run_mdpool("pipeline", "render", "--config", str(bad), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "pool.maximum_concurrency" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_deploy_stages_run_in_azures_order_behind_environments(rendered):
    for variant, expected in [
        ("azurerm-state", ["gallery_plan", "gallery", "images_plan", "images", "pool_plan", "pool"]),
        ("no-builds", ["gallery_plan", "gallery", "pool_plan", "pool"]),
        ("example", ["state", "gallery_plan", "gallery", "images_plan", "images", "pool_plan", "pool"]),
        ("canary", ["gallery_plan", "gallery", "images_plan", "images", "rollout", "pool_plan", "pool"]),
    ]:
        found = stages(rendered[variant]["deploy.yml"])
        assert [s["stage"] for s in found] == expected, variant
        for previous, stage in zip(found, found[1:]):
            assert stage["dependsOn"] == previous["stage"], variant
        for stage in found:
            if stage["stage"] in ("gallery", "images", "rollout", "pool"):
                for job in stage["jobs"]:
                    assert job["environment"] == f"mdpool-dev-{stage['stage']}", (variant, job)
                    assert "runOnce" in job["strategy"]
            else:  # checks are evaluated before a stage starts: no plan stage may use an environment
                assert all("environment" not in job for job in stage["jobs"]), (variant, stage["stage"])


def test_local_state_stops_the_deploy_before_anything_touches_azure(rendered):
    first = stages(rendered["example"]["deploy.yml"])[0]
    (script,) = scripts(first)
    assert "state.backend: local" in script and script.rstrip().endswith("exit 1")
    assert azure_steps(first) == []
    assert "stage: state" not in rendered["azurerm-state"]["deploy.yml"]


@pytest.mark.parametrize("variant, jobs", [("example", 2), ("long-builds", 6)])
def test_image_builds_are_started_then_watched_by_enough_hosted_jobs(rendered, variant_settings, variant, jobs):
    settings = variant_settings[variant]
    (images,) = [s for s in stages(rendered[variant]["deploy.yml"]) if s["stage"] == "images"]
    names = [job["deployment"] for job in images["jobs"]]
    assert names == ["build"] + [f"watch_{i}" for i in range(1, jobs)]
    assert [job.get("dependsOn") for job in images["jobs"]] == [None] + names[:-1]
    # together the jobs outlast the longest build plus Azure Image Builder's queueing and distribution
    longest = 240 if variant == "long-builds" else 60
    assert jobs * settings.build_window_minutes >= longest + 20
    for index, job in enumerate(images["jobs"]):
        (step,) = azure_steps(job)
        script = step["inputs"]["inlineScript"]
        assert int(job["timeoutInMinutes"]) <= 60  # fits a hosted job
        assert f"timeout --signal=INT --kill-after=120 {settings.build_window_minutes}m" in script
        # every job builds (or watches) exactly the approved images plan
        assert '.venv/bin/mdpool deploy --plan "$PIPELINE_WORKSPACE/plan-images" --parallel 4' in script
        last = index == len(images["jobs"]) - 1
        assert ("type=error]image builds" in script and "exit 1" in script) is last
        assert ("type=warning" in script and "exit 0" in script) is not last


def test_every_azure_step_signs_in_through_the_service_connection_and_keeps_the_token_secret(rendered):
    for variant, files in rendered.items():
        for name, text in files.items():
            document = load_pipeline(text)
            for step in azure_steps(document):
                inputs = step["inputs"]
                assert inputs["azureSubscription"] == "mdpool-dev"
                assert inputs["scriptType"] == "bash" and inputs["addSpnToEnvironment"] == "true"
                assert step["env"] == {"SYSTEM_ACCESSTOKEN": "$(System.AccessToken)"}
                script = inputs["inlineScript"]
                assert 'export ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID="$AZURESUBSCRIPTION_SERVICE_CONNECTION_ID"' in script
                assert "ARM_OIDC_TOKEN" not in script  # the 10-minute idToken would expire mid-deploy
            for script in scripts(document):
                assert not re.search(r"set -[a-z]*x", script), (variant, name)
                for line in script.splitlines():
                    if "SYSTEM_ACCESSTOKEN" in line:
                        assert line.strip() == 'export ARM_OIDC_REQUEST_TOKEN="$SYSTEM_ACCESSTOKEN"', (variant, line)
            assert "$(System.AccessToken)" not in "".join(scripts(document))


def test_pull_request_pipeline_reviews_against_the_target_branch(rendered):
    (checks,) = stages(rendered["example"]["pull-request.yml"])
    steps = checks["jobs"][0]["steps"]
    assert steps[0] == {"checkout": "self", "fetchDepth": "0"}
    review = next(s for s in steps if "mdpool review" in s.get("script", ""))
    assert '--base "origin/$target" --head cdktf.out' in review["script"]
    assert review["condition"] == "and(succeeded(), eq(variables['Build.Reason'], 'PullRequest'))"
    publish = next(s for s in steps if s.get("task") == "PublishPipelineArtifact@1")
    assert publish["inputs"] == {"targetPath": "$(REVIEW_DIR)", "artifact": "review"}
    comment = next(s for s in steps if "mdpool pipeline comment" in s.get("script", ""))
    assert comment["env"] == {"SYSTEM_ACCESSTOKEN": "$(System.AccessToken)"}
    commands = [s.get("script", "") for s in steps]
    order = ["make test", ".venv/bin/mdpool validate", ".venv/bin/mdpool images lint", ".venv/bin/mdpool synth"]
    positions = [
        next(i for i, c in enumerate(commands) if any(line.strip().startswith(o) for line in c.splitlines())) for o in order
    ]
    assert positions == sorted(positions)


def test_pull_request_plan_stage_only_with_shared_state_and_when_allowed(rendered):
    assert [s["stage"] for s in stages(rendered["example"]["pull-request.yml"])] == ["checks"]
    checks, plan = stages(rendered["azurerm-state"]["pull-request.yml"])
    assert plan["dependsOn"] == "checks"
    assert plan["condition"] == "and(succeeded(), eq(variables['MDPOOL_PLAN_IN_PR'], 'true'))"
    assert [s["inputs"]["inlineScript"].splitlines()[-1] for s in azure_steps(plan)] == [
        '.venv/bin/mdpool plan --config "$MDPOOL_CONFIG"'
    ]


def test_config_values_cannot_change_the_yaml_structure(variant_settings):
    odd = dataclasses.replace(
        variant_settings["azurerm-state"], config_path="config/a: b #c'\".yaml", service_connection="conn: with # chars"
    )
    for text in render_pipelines(odd).values():
        document = load_pipeline(text)
        assert document["variables"][0] == {"name": "MDPOOL_CONFIG", "value": "config/a: b #c'\".yaml"}
        assert {s["inputs"]["azureSubscription"] for s in azure_steps(document)} <= {"conn: with # chars"}


def _mdpool_calls(text: str) -> list[list[str]]:
    calls = []
    for script in scripts(load_pipeline(text)):
        joined = script.replace("\\\n", " ")
        for match in re.finditer(r"\.venv/bin/mdpool\s+([^\n;|&>]+)", joined):
            calls.append(shlex.split(match.group(1)))
    return calls


def test_every_mdpool_command_and_flag_the_pipelines_call_exists(rendered):
    import typer

    from mdpool.cli import app

    root = typer.main.get_command(app)
    called = 0
    for files in rendered.values():
        for text in files.values():
            for words in _mdpool_calls(text):
                command, path = root, []
                while words and words[0] in getattr(command, "commands", {}):
                    path.append(words[0])
                    command = command.commands[words.pop(0)]
                assert path and not hasattr(command, "commands"), f"mdpool {' '.join(path)}: no such command"
                options = {opt for param in command.params for opt in param.opts}
                for word in words:
                    flag = word.split("=", 1)[0]
                    if flag.startswith("--") and (path[0], flag) not in PENDING_FLAGS:
                        assert flag in options, f"mdpool {' '.join(path)} has no option {flag}"
                called += 1
    assert called >= 10


# --- a careless --out (hostile-user pass) ----------------------------------------------------------


@pytest.mark.parametrize(
    "make, out, expected",
    [
        # a file given as the folder: this ended in a FileExistsError traceback
        (lambda root: (root / "afile").write_text("mine"), "afile", "afile: is a file, not a folder"),
        (lambda root: (root / "afile").write_text("mine"), "afile/sub", "afile/sub: {root}/afile is a file, not a folder"),
        # the user's own pipeline of the same name: it was overwritten
        (
            lambda root: (root / "ci").mkdir() or (root / "ci" / "deploy.yml").write_text("trigger: none\n"),
            "ci",
            "ci/deploy.yml: exists and was not written by mdpool pipeline render; move it, or choose another --out",
        ),
    ],
)
def test_render_refuses_an_out_it_may_not_write_and_writes_nothing(tmp_path, make, out, expected):
    make(tmp_path)
    before = sorted((str(p), p.read_bytes() if p.is_file() else None) for p in tmp_path.rglob("*"))
    result = run_mdpool("pipeline", "render", "--out", str(tmp_path / out))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"{tmp_path}/{expected.format(root=tmp_path)}"), line
    assert sorted((str(p), p.read_bytes() if p.is_file() else None) for p in tmp_path.rglob("*")) == before


def test_render_replaces_what_it_wrote_before(tmp_path):
    assert run_mdpool("pipeline", "render", "--out", str(tmp_path)).returncode == 0
    (tmp_path / "deploy.yml").write_text((tmp_path / "deploy.yml").read_text() + "# edited by hand\n")
    assert run_mdpool("pipeline", "render", "--out", str(tmp_path)).returncode == 0
    assert (tmp_path / "deploy.yml").read_bytes() == (REPO / "pipelines" / "deploy.yml").read_bytes()


def test_a_canary_rollout_is_a_stage_of_its_own_in_both_pipelines_that_build(rendered, variant_settings):
    settings = variant_settings["canary"]
    assert settings.rollout_images == ("ubuntu-22.04",)  # the built image the pool runs at latest
    # 45 minutes of smoke runs + 20 for the applies, + 10 for the set-up
    assert settings.rollout_minutes == 75
    for file, before in (("deploy.yml", "images"), ("refresh-images.yml", "images")):
        (rollout,) = [s for s in stages(rendered["canary"][file]) if s["stage"] == "rollout"]
        assert rollout["dependsOn"] == before
        (job,) = rollout["jobs"]
        assert str(job["timeoutInMinutes"]) == "75"
        (script,) = [step["inputs"]["inlineScript"] for step in azure_steps(rollout)]
        assert 'for image in ubuntu-22.04 ; do\n  .venv/bin/mdpool rollout "$image" --config "$MDPOOL_CONFIG"\ndone' in script
    for variant in ("example", "azurerm-state", "no-builds", "long-builds"):
        assert "rollout" not in [s["stage"] for s in stages(rendered[variant]["deploy.yml"])], variant


def test_the_pool_stage_verifies_that_the_pool_serves(rendered):
    (pool,) = [s for s in stages(rendered["azurerm-state"]["deploy.yml"]) if s["stage"] == "pool"]
    (script,) = [step["inputs"]["inlineScript"] for step in azure_steps(pool)]
    assert script.rstrip().endswith('.venv/bin/mdpool verify --config "$MDPOOL_CONFIG"')
