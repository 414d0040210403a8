"""Problems become annotations on the PR's diff only under Azure Pipelines (TF_BUILD) or GitHub Actions
(GITHUB_ACTIONS), with each system's escaping; elsewhere the output is unchanged."""

from __future__ import annotations

import json

import pytest
import yaml

from mdpool.ci_annotations import AZURE, GITHUB, annotation, ci_system
from tests.conftest import EXAMPLE_CONFIG, REPO, run_mdpool


@pytest.fixture
def broken_config(tmp_path):
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    data["pool"]["maximum_concurrency"] = 0
    for image in data["gallery"]["images"]:
        image["build"]["definition"] = str(REPO / "images" / image["build"]["definition"].split("/")[-1])
    path = tmp_path / "env.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_ci_detection_follows_the_predefined_variables():
    assert ci_system({"TF_BUILD": "True"}) == AZURE  # Azure Pipelines' agent sets TF_BUILD=True
    assert ci_system({"GITHUB_ACTIONS": "true"}) == GITHUB
    assert ci_system({"TF_BUILD": "False"}) is None
    assert ci_system({}) is None


def test_azure_escaping():
    # azure-pipelines-task-lib taskcommand.ts: properties escape % ; ] CR LF, the message % CR LF
    assert annotation(AZURE, "a;b]c%d\r\ne", file="x;y]z%.yaml", line=7) == (
        "##vso[task.logissue type=error;sourcepath=x%3By%5Dz%AZP25.yaml;linenumber=7]a;b]c%AZP25d%0D%0Ae"
    )
    assert annotation(AZURE, "careful", severity="warning") == "##vso[task.logissue type=warning]careful"


def test_github_escaping():
    # actions/toolkit core command.ts: properties escape % CR LF : , the message % CR LF
    assert annotation(GITHUB, "a:b,c%d\r\ne", file="dir/a:b,c%.yaml", line=3) == (
        "::error file=dir/a%3Ab%2Cc%25.yaml,line=3::a:b,c%25d%0D%0Ae"
    )
    assert annotation(GITHUB, "plain", severity="warning") == "::warning::plain"


def test_validate_annotates_only_in_ci(broken_config):
    plain = run_mdpool("validate", "--config", str(broken_config))
    assert plain.returncode == 1
    (problem,) = plain.stderr.strip().splitlines()
    assert "##vso" not in plain.stderr and "::error" not in plain.stderr
    where, _, message = problem.partition(": ")
    file, line = where.rsplit(":", 1)

    azure = run_mdpool("validate", "--config", str(broken_config), env={"TF_BUILD": "True"})
    assert azure.returncode == 1
    assert azure.stderr.strip().splitlines() == [
        problem,
        f"##vso[task.logissue type=error;sourcepath={file};linenumber={line}]{message}",
    ]

    github = run_mdpool("validate", "--config", str(broken_config), env={"GITHUB_ACTIONS": "true"})
    assert github.stderr.strip().splitlines()[-1] == f"::error file={file},line={line}::{message}"


def test_a_valid_config_annotates_nothing():
    done = run_mdpool("validate", env={"TF_BUILD": "True"})
    assert done.returncode == 0 and "##vso" not in done.stdout + done.stderr


def test_lint_findings_are_annotated_with_their_severity(tmp_path):
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "one.json").write_text(
        json.dumps(
            {
                "TargetRegion": [{"Name": "westeurope"}],
                "Customizers": [{"ShellCustomizer": True, "Name": "Install", "Inline": ["sudo apt-get install git"]}],
            },
            indent=2,
        )
    )
    for image in data["gallery"]["images"]:
        image["build"]["definition"] = "images/one.json"
    config = tmp_path / "env.yaml"
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    done = run_mdpool("images", "lint", "--config", str(config), env={"TF_BUILD": "True"})
    assert done.returncode == 1
    issues = [line for line in done.stderr.splitlines() if line.startswith("##vso[task.logissue")]
    assert any(
        line.startswith("##vso[task.logissue type=error;sourcepath=") and ";linenumber=" in line and "MDP101" in line
        for line in issues
    ), issues
