"""Every rendered pipeline validates against the Azure Pipelines schema; a misspelling does not."""

from __future__ import annotations

import jsonschema
import pytest
import yaml

from tests.pipelines.conftest import VARIANTS
from tests.pipelines.schema import load_pipeline


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("file", ["pull-request.yml", "deploy.yml", "refresh-images.yml"])
def test_rendered_pipelines_validate(pipeline_schema, rendered, variant, file):
    assert pipeline_schema.problems(load_pipeline(rendered[variant][file])) == []


# (file, text in the rendered example, misspelt replacement, what the validation must say)
MISSPELLINGS = [
    ("deploy.yml", "trigger:", "triggers:", "('triggers' was unexpected)"),
    ("deploy.yml", "timeoutInMinutes: 30", "timeoutInMinute: 30", "('timeoutInMinute' was unexpected)"),
    ("deploy.yml", '    displayName: "Gallery stack"', '    displayNme: "Gallery stack"', "('displayNme' was unexpected)"),
    ("deploy.yml", "task: Cache@2", "task: Cache@3", "unknown task 'Cache@3'"),
    ("deploy.yml", "cacheHitVar: VENV_RESTORED", "cacheHitVariable: VENV_RESTORED", "('cacheHitVariable' was unexpected)"),
    ("deploy.yml", "- download: current", "- downlaod: current", "('downlaod' was unexpected)"),
    ("deploy.yml", "        environment: ", "        enviroment: ", "('enviroment' was unexpected)"),
    ("deploy.yml", "          runOnce:", "          runonce:", "('runonce' was unexpected)"),
    ("deploy.yml", "- checkout: self", "- checkuot: self", "('checkuot' was unexpected)"),
    ("deploy.yml", "task: AzureCLI@2", "task: AzureCLl@2", "unknown task 'AzureCLl@2'"),
    ("deploy.yml", "task: AzureCLI@2", "task: AzureCLI@9", "unknown task 'AzureCLI@9'"),
    ("deploy.yml", "scriptLocation: inlineScript", "scriptLocaton: inlineScript", "('scriptLocaton' was unexpected)"),
    ("deploy.yml", "azureSubscription:", "azureSubscriptoin:", "'azureSubscription' is a required property"),
    ("deploy.yml", "scriptType: bash", "scriptType: bsh", "'bsh' is not one of ['ps', 'pscore', 'batch', 'bash']"),
    ("deploy.yml", "addSpnToEnvironment: true", "addSpnToEnvironment: yes", "'yes' is not of type 'boolean'"),
    ("deploy.yml", 'artifact: "deploy-pool"', 'artifactt: "deploy-pool"', "('artifactt' was unexpected)"),
    ("pull-request.yml", "versionSpec:", "versionSpc:", "('versionSpc' was unexpected)"),
    ("pull-request.yml", "fetchDepth: 0", "fetchdepth: 0", "('fetchdepth' was unexpected)"),
    (
        "pull-request.yml",
        "task: PublishPipelineArtifact@1",
        "task: PublishPipelineArtefact@1",
        "unknown task 'PublishPipelineArtefact@1'",
    ),
]


@pytest.mark.parametrize("file, good, bad, expected", MISSPELLINGS, ids=[m[2] for m in MISSPELLINGS])
def test_a_misspelt_key_task_or_input_fails(pipeline_schema, rendered, file, good, bad, expected):
    text = rendered["example"][file]
    assert good in text
    problems = pipeline_schema.problems(load_pipeline(text.replace(good, bad, 1)))
    assert problems, "the misspelling was accepted"
    assert any(expected in problem for problem in problems), problems


def test_task_inputs_are_checked_in_every_job(pipeline_schema, rendered):
    """Not only the first AzureCLI@2: the last one in the file is checked too."""
    text = rendered["example"]["deploy.yml"]
    head, _, tail = text.rpartition("scriptLocation: inlineScript")
    problems = pipeline_schema.problems(load_pipeline(head + "scriptLocaton: inlineScript" + tail))
    assert any(
        "/stages/6/jobs/0/strategy/runOnce/deploy/steps/" in p and "'scriptLocaton' was unexpected" in p for p in problems
    ), problems


def test_a_key_written_twice_is_refused(rendered):
    text = rendered["example"]["deploy.yml"].replace("pr: none\n", "pr: none\npr: none\n", 1)
    with pytest.raises(yaml.constructor.ConstructorError, match="duplicate key 'pr'"):
        load_pipeline(text)


def test_why_scalars_load_as_strings(pipeline_schema, rendered):
    """The schema's note: YAML 1.1 typing (safe_load) turns timeoutInMinutes into an int, which the
    schema refuses; with every scalar a string the same document is valid."""
    text = rendered["example"]["deploy.yml"]
    assert pipeline_schema.problems(load_pipeline(text)) == []
    typed = yaml.safe_load(text)
    assert any("is not of type 'string'" in p or "is not valid" in p for p in pipeline_schema.problems(typed))


def test_why_boolean_inputs_need_the_type_checker(pipeline_schema, rendered):
    """A plain draft-7 validator sees the string "true" where AzureCLI@2 wants a boolean."""
    document = load_pipeline(rendered["azurerm-state"]["deploy.yml"])
    plain = jsonschema.Draft7Validator(pipeline_schema.schema)
    assert not plain.is_valid(document)
    assert pipeline_schema.validator.is_valid(document)
