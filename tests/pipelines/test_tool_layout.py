"""The two layouts of the rendered pipelines: `clone` (mdpool's own repository: make setup, .venv) and
`tool` (a repository of one's own: mdpool installed with pip at a pinned spec, `mdpool` on PATH)."""

from __future__ import annotations

import re
import shlex

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from mdpool.pipelines.settings import is_mdpool_source, pipeline_layout
from mdpool.problems import InputError
from mdpool.validate.install_spec import install_spec_problem
from tests.conftest import EXAMPLE_CONFIG, REPO
from tests.pipelines.conftest import TOOL_INSTALL
from tests.pipelines.schema import load_pipeline
from tests.pipelines.test_render import scripts

CLONE_ONLY = (".venv/", "make setup", "make test", "Pipfile.lock", "package-lock.json", "mdpool/stacks/locks", "node_modules")


def jobs_steps(node) -> list[list[dict]]:
    """The step list of every job (and deployment job) in a pipeline."""
    found = []
    if isinstance(node, dict):
        if isinstance(node.get("steps"), list):
            found.append(node["steps"])
        for value in node.values():
            found.extend(jobs_steps(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(jobs_steps(item))
    return found


@pytest.mark.parametrize("variant", ["tool", "tool-fleet-canary"])
def test_tool_layout_installs_mdpool_and_expects_no_clone(rendered, variant):
    for name, text in rendered[variant].items():
        for word in CLONE_ONLY:
            assert word not in text, (variant, name, word)
        document = load_pipeline(text)
        assert {"name": "PIP_CACHE_DIR", "value": "$(Pipeline.Workspace)/.pip"} in document["variables"]
        for steps in jobs_steps(document):
            runs = "\n".join(scripts(steps))
            if "mdpool " not in runs:
                continue  # e.g. the job that only refuses local state
            installs = [s for s in steps if "script" in s and "pip install" in s["script"]]
            assert len(installs) == 1, (name, steps)
            install = steps.index(installs[0])
            caches = [s for s in steps[:install] if s.get("task") == "Cache@2"]
            assert caches and caches[0]["inputs"]["path"] == "$(PIP_CACHE_DIR)"
            # every call is `mdpool` on PATH (the one pip installed), never a path into a clone
            assert not re.search(r"\S/mdpool\b", runs) and re.search(r"(^|\s)mdpool \w", runs)
            assert all("mdpool" not in "\n".join(scripts(step)) for step in steps[:install])


def test_the_install_spec_reaches_pip_as_one_word_and_the_cache_key_names_it(rendered, variant_settings):
    assert variant_settings["tool"].install == TOOL_INSTALL
    text = rendered["tool"]["deploy.yml"]
    document = load_pipeline(text)
    install_scripts = [s["script"] for steps in jobs_steps(document) for s in steps if "pip install" in s.get("script", "")]
    assert install_scripts
    for script in install_scripts:
        (line,) = [line for line in script.splitlines() if "pip install" in line]
        assert shlex.split(line) == ["python", "-m", "pip", "install", "--disable-pip-version-check", TOOL_INSTALL]
    keys = {s["inputs"]["key"] for steps in jobs_steps(document) for s in steps if s.get("task") == "Cache@2"}
    assert f'pip | "$(Agent.OS)" | "$(PYTHON_EXACT)" | "{TOOL_INSTALL}"' in keys
    assert f'terraform-providers | "$(Agent.OS)" | "{TOOL_INSTALL}"' in keys


def test_default_install_is_the_rendering_version(variant_settings):
    from mdpool import __version__

    assert variant_settings["tool-fleet-canary"].install == f"mdpool=={__version__}"
    assert variant_settings["tool-fleet-canary"].layout == "tool"


def test_clone_layout_in_this_repository(rendered, variant_settings):
    assert variant_settings["example"].layout == "clone"
    text = rendered["example"]["pull-request.yml"]
    assert "make test" in text and ".venv/bin/mdpool validate" in text and "pip install" not in text


# --- which layout -------------------------------------------------------------------------------------


def test_layout_follows_the_repository_unless_the_config_names_one(example_config, tmp_path):
    assert is_mdpool_source(REPO)
    assert pipeline_layout(example_config, REPO) == "clone"
    assert pipeline_layout(example_config, tmp_path) == "tool"  # no pyproject.toml
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "my-infra"\n')
    assert pipeline_layout(example_config, tmp_path) == "tool"
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "mdpool"\n')
    assert pipeline_layout(example_config, tmp_path) == "clone"
    (tmp_path / "pyproject.toml").write_text("not = [toml")
    assert pipeline_layout(example_config, tmp_path) == "tool"
    named = example_config.model_copy(update={"pipelines": example_config.pipelines.model_copy(update={"layout": "tool"})})
    assert pipeline_layout(named, REPO) == "tool"


# --- pipelines.install ---------------------------------------------------------------------------------

REQUIREMENTS = ["mdpool", "mdpool==0.3.0", "MDPool[extra]>=0.3,<0.4", "MdPool ~= 0.3", "mdpool===0.3.0+local.1", "mdpool==0.3.*"]
OTHER_FORMS = [
    "dist/mdpool-0.3.0-py3-none-any.whl",
    "./mdpool-0.3.0-1-py3-none-any.whl",
    "git+https://github.com/acme/mdpool.git@v0.3.0",
    "git+https://dev.azure.com/acme/infra/_git/mdpool@main",
]
REFUSED = [
    "",
    "mdpool==0.3.0; rm -rf /",
    "mdpool==0.3.0\nfoo: bar",
    "mdpool==0.3.0 && curl x",
    "mdpool==$(id)",
    "'mdpool'",
    "mdpool==0.3.0 #x",
    "mdpool ; python_version >= '3.11'",  # markers: not this form
    "mdpool @ https://example.com/mdpool-0.3.0-py3-none-any.whl",
    "other==1.0",
    "-e .",
    "--index-url=https://evil.example/simple mdpool",
    "../mdpool-0.3.0-py3-none-any.whl",
    "/abs/mdpool-0.3.0-py3-none-any.whl",
    "dist/other-0.3.0-py3-none-any.whl",
    "dist/mdpool.whl",
    "git+https://user:token@github.com/acme/mdpool",
    "git+ssh://github.com/acme/mdpool",
    "git+https://github.com/acme/mdpool@$(id)",
    "git+http://github.com/acme/mdpool",
]


@pytest.mark.parametrize("value", REQUIREMENTS)
def test_a_requirement_pip_reads_as_mdpools_is_accepted(value):
    assert install_spec_problem(value) is None
    assert canonicalize_name(Requirement(value).name) == "mdpool"  # the reference parser agrees


@pytest.mark.parametrize("value", OTHER_FORMS)
def test_a_wheel_in_the_repository_or_a_git_url_is_accepted(value):
    assert install_spec_problem(value) is None


@pytest.mark.parametrize("value", REFUSED)
def test_anything_else_is_refused(value):
    assert install_spec_problem(value) is not None


def test_the_config_refuses_a_bad_install_on_its_line(tmp_path):
    from mdpool.loader import load_config

    text = EXAMPLE_CONFIG.read_text().replace("../images/", str(REPO / "images") + "/")
    path = tmp_path / "config.yaml"
    path.write_text(text + '\npipelines:\n  install: "mdpool==0.3.0; rm -rf /"\n')
    with pytest.raises(InputError) as refused:
        load_config(path)
    (problem,) = refused.value.problems
    assert (problem.path, problem.line) == ("pipelines.install", len(text.splitlines()) + 3)
    assert "allowed: a requirement naming mdpool" in problem.message
