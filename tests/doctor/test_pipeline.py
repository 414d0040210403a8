"""The deploy pipeline runs `mdpool doctor` in the first stage that signs in to Azure, before the plan."""

from __future__ import annotations

import dataclasses

from mdpool.pipelines.render import render_pipelines
from mdpool.pipelines.settings import pipeline_settings
from tests.pipelines.schema import load_pipeline


def _plan_steps(example_config, shared_state: bool) -> list[dict]:
    settings = pipeline_settings(example_config, "config/example.yaml")
    settings = dataclasses.replace(settings, shared_state=shared_state)
    stages = load_pipeline(render_pipelines(settings)["deploy.yml"])["stages"]
    first_azure = next(
        stage for stage in stages if any(step.get("task") == "AzureCLI@2" for job in stage["jobs"] for step in job["steps"])
    )
    assert first_azure["stage"] == "gallery_plan"
    return [step for job in first_azure["jobs"] for step in job["steps"]]


def test_doctor_runs_before_the_plan_on_the_service_connection(example_config):
    for shared_state in (False, True):
        steps = [s for s in _plan_steps(example_config, shared_state) if s.get("task") == "AzureCLI@2"]
        assert [s["displayName"] for s in steps] == ["mdpool doctor", "mdpool plan --stage gallery --save"]
        script = steps[0]["inputs"]["inlineScript"]
        assert script.rstrip().endswith('.venv/bin/mdpool doctor --config "$MDPOOL_CONFIG"')
        assert "AZURE_TOKEN_CREDENTIALS=AzureCliCredential" in script  # the service connection's login, no secret
