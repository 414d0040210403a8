"""`mdpool init`: a starter repository that every other command works in with no file of this one;
an occupied folder is refused with nothing written; typed values stay values."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from mdpool.starter.files import StarterValues, planned_paths, starter_files, yaml_quoted
from mdpool.problems import InputError
from tests.conftest import MDPOOL, REPO, run_mdpool
from tests.pipelines.schema import PipelineSchema, load_pipeline

WRITTEN = [
    ".gitignore",
    ".pre-commit-config.yaml",
    "README.md",
    "images/ubuntu-buildagent.json.j2",
    "images/windows-buildagent.json.j2",
    "mdpool.yaml",
    "pipelines/deploy.yml",
    "pipelines/pull-request.yml",
    "pipelines/refresh-images.yml",
    "schema/mdpool-config.schema.json",
    "schema/mdpool-image-definition.schema.json",
]


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink())


@pytest.fixture(scope="module")
def started(tmp_path_factory) -> Path:
    """`mdpool init repo` in an empty folder, as a script runs it (stdin not a terminal: no question)."""
    home = tmp_path_factory.mktemp("user")
    result = run_mdpool("init", "repo", cwd=home)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    repo = home / "repo"
    assert [line for line in result.stdout.splitlines() if line.startswith("wrote ")] == [f"wrote repo/{n}" for n in WRITTEN]
    return repo


def test_writes_the_starter_files(started):
    assert files_under(started) == WRITTEN == planned_paths()


def test_every_command_works_in_the_started_folder(started, tmp_path):
    """No file of this repository: the folder holds only what init wrote (and discovery finds ./mdpool.yaml)."""
    repo = tmp_path / "repo"
    subprocess.run(["cp", "-a", str(started), str(repo)], check=True)

    def ok(*args: str) -> subprocess.CompletedProcess[str]:
        result = run_mdpool(*args, cwd=repo, timeout=300)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result

    assert ok("validate").stdout.startswith("mdpool.yaml: valid (environment dev, 2 gallery images")
    assert "0 error(s), 0 warning(s)" in ok("images", "lint").stdout
    ok("pipeline", "render", "--check")
    synth = json.loads(ok("synth", "--json").stdout)
    assert [s["name"] for s in synth["report"]["stacks"]] == ["gallery-dev", "pool-dev"]
    ok("pipeline", "render")  # rewrites its own files
    assert files_under(repo / "pipelines") == ["deploy.yml", "pull-request.yml", "refresh-images.yml"]
    assert {p.read_text() for p in (repo / "pipelines").iterdir()} == {p.read_text() for p in (started / "pipelines").iterdir()}


def test_the_pipelines_are_valid_azure_pipelines_that_install_mdpool(started):
    from mdpool import __version__

    schema = PipelineSchema()
    for path in sorted((started / "pipelines").iterdir()):
        text = path.read_text()
        assert schema.problems(load_pipeline(text)) == [], path.name
        assert f"python -m pip install --disable-pip-version-check mdpool=={__version__}\n" in text
        assert ".venv" not in text and "make " not in text, path.name


def test_editors_find_the_installed_versions_schemas(started):
    for kind, name in (("config", "mdpool-config"), ("image-definition", "mdpool-image-definition")):
        printed = run_mdpool("schema", kind)
        assert (started / "schema" / f"{name}.schema.json").read_text() == printed.stdout
    first = (started / "mdpool.yaml").read_text().splitlines()[0]
    match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert match and (started / match[1]).resolve() == (started / "schema/mdpool-config.schema.json").resolve()
    config_schema = json.loads((started / "schema/mdpool-config.schema.json").read_text())
    from mdpool.yamlsource import load_yaml

    assert list(jsonschema.Draft202012Validator(config_schema).iter_errors(load_yaml(started / "mdpool.yaml").data)) == []
    definition_schema = json.loads((started / "schema/mdpool-image-definition.schema.json").read_text())
    for definition in sorted((started / "images").iterdir()):
        data = json.loads(definition.read_text())
        assert (definition.parent / data["$schema"]).resolve() == (started / "schema/mdpool-image-definition.schema.json")
        assert list(jsonschema.Draft202012Validator(definition_schema).iter_errors(data)) == [], definition.name


def test_the_hooks_are_mdpools_own(started):
    """The same ids, commands and file patterns as this repository's .pre-commit-hooks.yaml."""
    offered = {hook["id"]: hook for hook in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    (local,) = yaml.safe_load((started / ".pre-commit-config.yaml").read_text())["repos"]
    assert local["repo"] == "local"
    from mdpool import __version__

    for hook in local["hooks"]:
        assert {k: hook[k] for k in ("entry", "language", "pass_filenames", "files")} == {
            k: offered[hook["id"]][k] for k in ("entry", "language", "pass_filenames", "files")
        }
        assert hook["additional_dependencies"] == [f"mdpool=={__version__}"]
    assert {hook["id"] for hook in local["hooks"]} == set(offered)


def test_gitignore_keeps_outputs_and_local_state_out(started, tmp_path):
    repo = tmp_path / "repo"
    subprocess.run(["cp", "-a", str(started), str(repo)], check=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    for name in ("cdktf.out/manifest.json", "state/gallery-dev.tfstate", "cdktf.out/stacks/pool-dev/.terraform/x", "a.tfplan"):
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text("x")
    listed = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "-uall"], capture_output=True, text=True, check=True)
    assert sorted(line[3:] for line in listed.stdout.splitlines()) == WRITTEN


# --- refusing an occupied folder ----------------------------------------------------------------------


def test_refuses_a_folder_holding_a_file_it_would_write_and_writes_nothing(tmp_path):
    repo = tmp_path / "repo"
    (repo / "images").mkdir(parents=True)
    (repo / "mdpool.yaml").write_text("mine\n")
    (repo / "images" / "windows-buildagent.json.j2").write_text("mine too\n")
    (repo / "notes.txt").write_text("unrelated\n")
    before = {name: (repo / name).read_bytes() for name in files_under(repo)}
    result = run_mdpool("init", str(repo), "--environment", "prod")
    assert result.returncode == 1 and "Traceback" not in result.stderr and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{repo / name}: exists; mdpool init writes only new files: move it, or choose another folder"
        for name in ("images/windows-buildagent.json.j2", "mdpool.yaml")
    ]
    assert {name: (repo / name).read_bytes() for name in files_under(repo)} == before
    assert sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*")) == [
        "images",
        "images/windows-buildagent.json.j2",
        "mdpool.yaml",
        "notes.txt",
    ]


def test_a_folder_with_other_files_only_is_accepted(tmp_path):
    (tmp_path / "notes.txt").write_text("unrelated\n")
    (tmp_path / "images").mkdir()
    result = run_mdpool("init", cwd=tmp_path)  # DIR defaults to the current folder
    assert result.returncode == 0, result.stderr
    assert files_under(tmp_path) == sorted([*WRITTEN, "notes.txt"])
    assert "wrote mdpool.yaml" in result.stdout.splitlines()


@pytest.mark.parametrize(
    "make, line",
    [
        (lambda d: (d / "images").write_text("x"), "{d}/images: is a file where mdpool init writes a folder"),
        (lambda d: (d / "schema").symlink_to(d.parent), "{d}/schema: is a symbolic link where mdpool init writes a folder"),
        (lambda d: (d / ".gitignore").symlink_to(d / "nowhere"), "{d}/.gitignore: exists; mdpool init writes only new files"),
        (lambda d: (d / "README.md").mkdir(), "{d}/README.md: exists; mdpool init writes only new files"),
    ],
)
def test_refuses_what_is_in_the_way_one_line_each(make, line, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    make(repo)
    before = sorted(os.listdir(repo))
    result = run_mdpool("init", str(repo))
    assert result.returncode == 1
    (only,) = result.stderr.splitlines()
    assert only.startswith(line.format(d=repo))
    assert sorted(os.listdir(repo)) == before


def test_refuses_a_file_as_the_folder(tmp_path):
    (tmp_path / "repo").write_text("x")
    result = run_mdpool("init", str(tmp_path / "repo"))
    assert result.returncode == 1
    assert result.stderr.strip() == f"{tmp_path / 'repo'}: is a file, not a folder; mdpool init needs a new or existing folder"


# --- values: flags, prompts, and values that must stay values --------------------------------------------


def test_flags_fill_the_config_without_asking(tmp_path):
    result = run_mdpool(
        "init",
        "repo",
        "--environment",
        "prod",
        "--location",
        "North Europe",
        "--organization-url",
        "https://dev.azure.com/contoso",
        "--project",
        "Web App",
        "--project",
        "Infra",
        "--subscription-id",
        "12345678-1234-1234-1234-123456789abc",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    from mdpool.loader import load_config

    config = load_config(tmp_path / "repo" / "mdpool.yaml")
    assert (config.environment, config.location, config.subscription_id) == (
        "prod",
        "northeurope",
        "12345678-1234-1234-1234-123456789abc",
    )
    (organization,) = config.pools[0].organizations
    assert (organization.url, organization.projects) == ("https://dev.azure.com/contoso", ["Web App", "Infra"])
    assert "mdpool-prod" in (tmp_path / "repo" / "pipelines" / "deploy.yml").read_text()


def test_a_value_the_config_refuses_writes_nothing(tmp_path):
    result = run_mdpool("init", "repo", "--environment", "Dev-1", cwd=tmp_path)
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("repo/mdpool.yaml:7: environment: 'Dev-1' is not allowed; allowed: 1 to 10 lowercase")
    assert os.listdir(tmp_path) == []


def test_on_a_terminal_it_asks(tmp_path):
    """stdin a terminal: a question for each value no option gave; the answers reach the config."""
    import pty

    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [str(MDPOOL), "init", "repo", "--location", "uksouth"],
        cwd=tmp_path,
        stdin=follower,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ},
    )
    os.close(follower)
    os.write(leader, b"qa\n\nhttps://dev.azure.com/fabrikam\nTools\n")  # environment, subscription (default), org, project
    out, err = process.communicate(timeout=120)
    os.close(leader)
    assert process.returncode == 0, err.decode()
    assert b"Environment name" in out and b"Azure DevOps organization URL" in out and b"Azure region" not in out
    from mdpool.loader import load_config

    config = load_config(tmp_path / "repo" / "mdpool.yaml")
    (organization,) = config.pools[0].organizations
    assert (config.environment, config.location, organization.url, organization.projects) == (
        "qa",
        "uksouth",
        "https://dev.azure.com/fabrikam",
        ["Tools"],
    )


HOSTILE = [
    "a\nb: c",
    "x: y",
    "x # y",
    "${var.x}",
    "%{ if true }",
    '"quoted" and \\back',
    "'single'",
    "- item",
    "&anchor *alias !tag |",
    "tab\there\rcr\x85nel\u2028ls\ufeffbom",
    "ü 😀 \x7f \x00",
    "\udcff",  # a lone surrogate (an undecodable byte from the command line)
]


@pytest.mark.parametrize("value", HOSTILE)
def test_yaml_quoted_reads_back_as_the_value(value):
    text = yaml_quoted(value)
    assert text.isascii() and text.isprintable()  # one line, nothing a terminal or the YAML reader acts on
    from mdpool.yamlsource import _Loader

    assert yaml.load(f"key: {text}  # a comment\nother: 1\n", Loader=_Loader) == {"key": value, "other": 1}  # noqa: S506


def test_hostile_values_stay_values_in_the_config(tmp_path):
    """Each value lands in its own field: a line break, `: ` or `#` makes no key and ends no scalar; the
    config's own rules then judge the value (Azure DevOps refuses those characters in a project name)."""
    values = StarterValues(projects=tuple(HOSTILE[:6]), organization_url="https://dev.azure.com/o?a=b:c#d${x}z")
    with pytest.raises(InputError) as refused:
        starter_files(values, tmp_path / "repo")
    problems = refused.value.problems
    assert {p.path for p in problems} == {f"pool.organizations[0].projects[{i}]" for i in range(6)}
    assert all(p.file == str(tmp_path / "repo" / "mdpool.yaml") for p in problems)
    assert not (tmp_path / "repo").exists()

    accepted = StarterValues(organization_url="https://dev.azure.com/o?a=b:c#d${x}z", projects=("Web App",))
    files = starter_files(accepted, tmp_path / "repo")
    from mdpool.yamlsource import _Loader

    data = yaml.load(files["mdpool.yaml"], Loader=_Loader)  # noqa: S506
    assert data["pool"]["organizations"] == [{"url": "https://dev.azure.com/o?a=b:c#d${x}z", "projects": ["Web App"]}]
