"""The deploy pipeline of a fleet: each pool stack planned and applied by a job of its own, in
parallel, behind the pool stage's one approval, each job applying exactly its own saved plan."""

from __future__ import annotations

import yaml


def _stage(pipeline: dict, name: str) -> dict:
    return next(stage for stage in pipeline["stages"] if stage["stage"] == name)


def _script(job: dict) -> str:
    steps = job["steps"] if "steps" in job else job["strategy"]["runOnce"]["deploy"]["steps"]
    return "\n".join(str(step.get("inputs", {}).get("inlineScript", "")) for step in steps)


def _artifacts(job: dict, key: str) -> list[str]:
    steps = job["steps"] if "steps" in job else job["strategy"]["runOnce"]["deploy"]["steps"]
    return [step[key] if key == "download" else step["inputs"]["artifact"] for step in steps if _has(step, key)]


def _has(step: dict, key: str) -> bool:
    if key == "download":
        return "download" in step
    return step.get("task") == "PublishPipelineArtifact@1" and step["inputs"]["artifact"].startswith("plan-")


def test_each_pool_is_planned_by_its_own_job_in_parallel(rendered):
    pipeline = yaml.safe_load(rendered["fleet"]["deploy.yml"])
    jobs = _stage(pipeline, "pool_plan")["jobs"]
    assert [job["job"] for job in jobs] == ["plan_linux", "plan_windows"]
    assert all("dependsOn" not in job for job in jobs)  # no job waits for another: they run in parallel
    for job, pool in zip(jobs, ("linux", "windows")):
        assert f"mdpool plan --stage pool --pool {pool} --save" in _script(job)
        assert _artifacts(job, "publish") == [f"plan-pool-{pool}"]


def test_each_pool_applies_exactly_its_own_plan_behind_one_approval(rendered):
    pipeline = yaml.safe_load(rendered["fleet"]["deploy.yml"])
    stage = _stage(pipeline, "pool")
    jobs = stage["jobs"]
    assert [job["deployment"] for job in jobs] == ["apply_linux", "apply_windows"]
    # one Azure DevOps environment for the stage: its checks (the approval) run once, before the stage
    assert {job["environment"] for job in jobs} == {"mdpool-dev-pool"}
    assert all("dependsOn" not in job for job in jobs)
    for job, pool in zip(jobs, ("linux", "windows")):
        steps = job["strategy"]["runOnce"]["deploy"]["steps"]
        downloads = [step["artifact"] for step in steps if "download" in step]
        assert downloads == [f"plan-pool-{pool}"]
        assert f'mdpool deploy --plan "$PIPELINE_WORKSPACE/plan-pool-{pool}"' in _script(job)


def test_the_one_pool_deploy_keeps_its_single_jobs(rendered):
    pipeline = yaml.safe_load(rendered["azurerm-state"]["deploy.yml"])
    assert [job["job"] for job in _stage(pipeline, "pool_plan")["jobs"]] == ["plan"]
    assert [job["deployment"] for job in _stage(pipeline, "pool")["jobs"]] == ["apply"]
