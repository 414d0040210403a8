"""Config strings arrive in Terraform as the text the file wrote, never as templates (issue 16, class 1).

Terraform reads every string of a `*.tf.json` as a template (`${...}`, `%{...}`). The maximal config
(tests/core/configs/maximal, which sets every string setting: checked below) gets a template in each
string and each mapping key the loader accepts one in; the synthesized stacks must hold it escaped
(`$${`, `%%{`) wherever it went, and the real terraform must evaluate each such string to the text
the file wrote. Harmless look-alikes (`$ {`, `$HOME`, `100%`) go through unchanged.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from mdpool.config import EnvironmentConfig, PoolDefaults
from mdpool.loader import load_config
from mdpool.problems import InputError
from mdpool.synth import synthesize
from mdpool.terraform_literal import escape, expression_string

MAXIMAL = Path(__file__).parent / "configs" / "maximal"
TERRAFORM = shutil.which("terraform") or "/usr/local/bin/terraform"

# What a hostile config would write: a file on the agent, a directive, a function call.
FULL = '${file("/etc/hostname")}%{ if true }x%{ endif }${upper("x")}'
DOLLAR = '${upper("x")}'  # for settings that refuse `%` (tag names: < > % & \ ? /)
LOOKALIKES = ["$ {x}", "$$", "$", "%", "{x}", "$HOME", "100%", "a$", "%%", "50% {of} $5", "$$HOME"]


def marker(number: int) -> str:
    return f"mq{number}q"  # no hex digit, no dash: found again wherever the value went


# --- the maximal config, and a template in every string of it --------------------------------------


def leaves(data: Any, path: tuple = ()) -> typing.Iterator[tuple[tuple, str, bool]]:
    """(path, text, is_key) for every string in the YAML tree: values, and the keys of every mapping."""
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, str):
                yield (*path, key), key, True
            yield from leaves(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from leaves(value, (*path, index))
    elif isinstance(data, str):
        yield path, data, False


def changed(data: Any, path: tuple, text: str, is_key: bool) -> Any:
    """A copy of `data` with the string at `path` (a value, or the key itself) replaced by `text`."""
    data = copy.deepcopy(data)
    parent = data
    for step in path[:-1]:
        parent = parent[step]
    if is_key:
        parent_items = list(parent.items())
        parent.clear()
        parent.update((text if key == path[-1] else key, value) for key, value in parent_items)
    else:
        parent[path[-1]] = text
    return data


def _at(data: Any, path: tuple) -> Any:
    for step in path:
        data = data[step]
    return data


def write(folder: Path, data: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(MAXIMAL / "image.json.j2", folder / "image.json.j2")
    target = folder / "env.yaml"
    target.write_text(yaml.safe_dump(data, sort_keys=False))
    return target


def loads(folder: Path, data: Any) -> bool:
    try:
        load_config(write(folder, data))
    except InputError:
        return False
    return True


def candidates(number: int, original: str, is_key: bool) -> list[str]:
    if is_key:
        return [marker(number) + DOLLAR, marker(number) + FULL]
    return [marker(number) + FULL, original + marker(number) + DOLLAR]  # an id or URL keeps its form


def _model_at(config: Any, path: tuple) -> Any:
    """What the loaded config holds at a YAML path (a field by its name or alias, a list index, a dict key)."""
    for step in path:
        if isinstance(config, BaseModel):
            fields = type(config).model_fields
            step = next(name for name, field in fields.items() if step in (name, field.alias))
            config = getattr(config, step)
        else:
            config = config[step]
    return config


def data_key(config: EnvironmentConfig, path: tuple) -> bool:
    """Whether the mapping key at `path` is data (a tag's name), not the name of a setting."""
    return isinstance(_model_at(config, path[:-1]), dict)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict[str, Any]:
    """The maximal config with a template in every string that takes one: the data, and marker -> (path, tail, is_key)."""
    base = yaml.safe_load((MAXIMAL / "maximal.yaml").read_text())
    scratch = tmp_path_factory.mktemp("candidates")
    loaded = load_config(MAXIMAL / "maximal.yaml")
    data, placed, renames = copy.deepcopy(base), {}, []
    for number, (path, text, is_key) in enumerate(list(leaves(base))):
        if is_key and not data_key(loaded, path):
            continue
        for candidate in candidates(number, text, is_key):
            if loads(scratch, changed(base, path, candidate, is_key)):
                placed[marker(number)] = (path, candidate[candidate.index(marker(number)) + len(marker(number)) :], is_key)
                if is_key:
                    renames.append((path, candidate))
                else:
                    data = changed(data, path, candidate, False)
                break
    for path, candidate in renames:  # keys last: a renamed key moves the paths of the values below it
        data = changed(data, path, candidate, True)
    data["tags"].update({f"lookalike{index}": text for index, text in enumerate(LOOKALIKES)})
    return {"data": data, "placed": placed}


@pytest.fixture(scope="module")
def synthesized(hostile, tmp_path_factory, example_synth) -> dict[str, dict]:  # example_synth: bindings loaded once
    folder = tmp_path_factory.mktemp("hostile")
    config = load_config(write(folder, hostile["data"]))  # every template at once still loads
    out = folder / "cdktf.out"
    synthesize(config, out)
    return {path.parent.name: json.loads(path.read_text()) for path in sorted((out / "stacks").glob("*/cdk.tf.json"))}


def strings(document: Any) -> typing.Iterator[tuple[str, bool]]:
    """Every string of a Terraform JSON document, keys too (cdktn's `//` metadata left out)."""
    if isinstance(document, dict):
        for key, value in document.items():
            if key == "//":
                continue
            yield key, True
            yield from strings(value)
    elif isinstance(document, list):
        for value in document:
            yield from strings(value)
    elif isinstance(document, str):
        yield document, False


def terraform_env(folder: Path) -> dict[str, str]:
    rc = folder / "terraformrc"
    rc.write_text("")
    return {**os.environ, "TF_CLI_CONFIG_FILE": str(rc), "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}


def evaluate(folder: Path, values: list[str], keys: list[str]) -> tuple[list[str], list[str]]:
    """What the real terraform makes of each string as an output value, and of each as an object key."""
    folder.mkdir(parents=True, exist_ok=True)
    outputs = {f"v{index}": {"value": text} for index, text in enumerate(values)}
    outputs.update({f"k{index}": {"value": {text: 0}} for index, text in enumerate(keys)})
    (folder / "main.tf.json").write_text(json.dumps({"output": outputs}))
    env = terraform_env(folder)
    run = subprocess.run(
        [TERRAFORM, "apply", "-auto-approve", "-input=false", "-no-color"], cwd=folder, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    shown = subprocess.run([TERRAFORM, "output", "-json"], cwd=folder, env=env, capture_output=True, text=True, check=True)
    result = json.loads(shown.stdout)
    return (
        [result[f"v{index}"]["value"] for index in range(len(values))],
        [next(iter(result[f"k{index}"]["value"])) for index in range(len(keys))],
    )


# --- the tests ---------------------------------------------------------------------------------


def _models(annotation: Any) -> typing.Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for argument in typing.get_args(annotation):
        yield from _models(argument)


def _holds_text(annotation: Any) -> bool:
    if annotation is str:
        return True
    if typing.get_origin(annotation) is typing.Literal:
        return False  # a fixed word: a template is refused
    return any(_holds_text(argument) for argument in typing.get_args(annotation))


def _set_in(value: Any, found: set[tuple[str, str]]) -> None:
    if isinstance(value, BaseModel):
        for cls in type(value).__mro__:
            if isinstance(cls, type) and issubclass(cls, BaseModel) and cls is not BaseModel:
                found.update((cls.__name__, name) for name in value.model_fields_set if name in cls.model_fields)
        for name in type(value).model_fields:
            _set_in(getattr(value, name), found)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _set_in(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _set_in(item, found)


def test_the_maximal_config_sets_every_string_setting():
    """A string setting added to the config must be added to the maximal config, so the test below covers it."""
    found: set[tuple[str, str]] = set()
    _set_in(load_config(MAXIMAL / "maximal.yaml"), found)
    wanted, todo, seen = set(), [EnvironmentConfig], set()
    while todo:
        model = todo.pop()
        if model in seen or model is PoolDefaults:  # PoolDefaults: Pool's settings, which the pools carry
            continue
        seen.add(model)
        for name, field in model.model_fields.items():
            if _holds_text(field.annotation):
                wanted.add((model.__name__, name))
            todo.extend(_models(field.annotation))
    assert sorted(wanted - found) == []


def test_a_template_in_any_config_string_arrives_literally(hostile, synthesized, tmp_path):
    placed = hostile["placed"]
    found: dict[str, list[tuple[str, bool]]] = {}
    for document in synthesized.values():
        for text, is_key in strings(document):
            for mark in re.findall(r"mq\d+q", text):
                found.setdefault(mark, []).append((text, is_key))
    # the settings that reach Terraform (names, ids, sizes refuse a template; build settings never go there)
    reached = {placed[mark][0] for mark in found}
    for expected in [
        ("tags", "workload"),
        ("tags", "cost-center"),
        ("gallery", "description"),
        ("gallery", "images", 0, "description"),
        ("builder", "role_name"),
        ("pool_defaults", "tags", "team"),
        ("pool_defaults", "identity_ids", 0),
        ("pools", 0, "description"),
        ("pools", 0, "sku"),
        ("pools", 0, "work_folder"),
        ("pools", 0, "identity_ids", 0),
        ("pools", 0, "tags", "os"),
        ("pools", 0, "organizations", 0, "alias"),
        ("pools", 0, "key_vault", "certificate_ids", 0),
        ("pools", 0, "key_vault", "store_location"),
        ("pools", 0, "images", 0, "aliases", 0),
        ("pools", 0, "images", 1, "well_known"),
        ("pools", 0, "images", 1, "provisioning_script", "entry_point"),
        ("pools", 0, "images", 2, "resource_id"),
        ("pools", 1, "instance_mix", 0),
        ("pools", 1, "github", "organizations", 0, "url"),
        ("pools", 1, "github", "organizations", 0, "repositories", 0),
        ("pools", 1, "network", "subnet_id"),
    ]:
        assert expected in reached, expected
    values = [(mark, text) for mark, texts in found.items() for text, is_key in texts if not is_key]
    keys = [(mark, text) for mark, texts in found.items() for text, is_key in texts if is_key]
    assert keys, "a tag name with a template reaches the tags of every resource"
    for mark, text in values + keys:
        assert mark + escape(placed[mark][1]) in text, (placed[mark][0], text)  # exactly the escaped form
    evaluated_values, evaluated_keys = evaluate(tmp_path / "tf", [text for _, text in values], [text for _, text in keys])
    for (mark, _), result in zip(values + keys, evaluated_values + evaluated_keys, strict=True):
        assert mark + placed[mark][1] in result, (placed[mark][0], result)  # the text the file wrote


def test_mdpools_own_references_stay_live(synthesized):
    pool = synthesized["pool-prod-devops"]
    (body,) = [resource["body"] for resource in pool["resource"]["azapi_resource"].values()]
    assert body["properties"]["devCenterProjectResourceId"].startswith("${azurerm_dev_center_project.")
    assert body["properties"]["fabricProfile"]["images"][0]["resourceId"].startswith("${data.terraform_remote_state.")
    assert pool["import"][0]["id"] == "${each.value}"


def test_lookalikes_arrive_unchanged(synthesized, tmp_path):
    for document in synthesized.values():
        for resource in document.get("resource", {}).get("azurerm_resource_group", {}).values():
            tags = resource["tags"]
            assert [tags[f"lookalike{index}"] for index in range(len(LOOKALIKES))] == LOOKALIKES
    assert all(escape(text) is text for text in LOOKALIKES)
    assert evaluate(tmp_path / "tf", LOOKALIKES, LOOKALIKES) == (LOOKALIKES, LOOKALIKES)


@pytest.mark.parametrize("text", [FULL, DOLLAR, "$${a}", "%%{a}", "$$$${a}", "${", "%{", "a$", "x\ny${z}"])
def test_escape_evaluates_to_the_text(text, tmp_path):
    """The escape, and what terraform makes of it: `$${a}` stays `$${a}` (its `${` escaped once)."""
    assert evaluate(tmp_path, [escape(text)], [escape(text)]) == ([text], [text])


def test_a_string_inside_an_expression_arrives_literally(tmp_path, example_synth):
    """cdktn escapes `${` in a function's string argument itself; expression_string leaves it that, and `%{` escaped."""
    from cdktn import App, Fn, LocalBackend, TerraformOutput, TerraformStack

    texts = ["a${b}", "%{ if true }x%{ endif }", "$${c}", "$ {", "100%"]
    app = App(outdir=str(tmp_path / "out"), stack_traces=False)
    stack = TerraformStack(app, "expression")
    LocalBackend(stack, path="terraform.tfstate")
    for index, text in enumerate(texts):
        argument = expression_string(escape(text))
        TerraformOutput(stack, f"lower{index}", value=Fn.lower(argument))
        TerraformOutput(stack, f"contains{index}", value=Fn.contains([argument], argument))
    app.synth()
    folder = tmp_path / "out" / "stacks" / "expression"
    env = terraform_env(tmp_path)
    for command in (["init", "-input=false", "-no-color"], ["apply", "-auto-approve", "-input=false", "-no-color"]):
        run = subprocess.run([TERRAFORM, *command], cwd=folder, env=env, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
    shown = json.loads(subprocess.run([TERRAFORM, "output", "-json"], cwd=folder, env=env, capture_output=True, text=True).stdout)
    assert [shown[f"lower{index}"]["value"] for index in range(len(texts))] == [text.lower() for text in texts]
    assert all(shown[f"contains{index}"]["value"] is True for index in range(len(texts)))


TOKENS = ["${TfToken[TOKEN.10]}", "#{TfToken[TOKEN.10]}", "&{TfToken[TOKEN.10]}"]


def test_cdktns_reference_marker_is_refused_wherever_a_template_is_taken(hostile, tmp_path):
    """cdktn reads `${TfToken[...]}` in any string as its own reference (a config value became a live reference
    and a stack cycle, or a traceback): every string that takes a template refuses it, with one line."""
    base = yaml.safe_load((MAXIMAL / "maximal.yaml").read_text())
    for number, (path, _, is_key) in enumerate(hostile["placed"].values()):
        original = path[-1] if is_key else _at(base, path)
        for text in (f"x{TOKENS[number % 3]}", f"{original}{TOKENS[(number + 1) % 3]}"):
            with pytest.raises(InputError) as refused:  # by this rule, or by the setting's own form (an id)
                load_config(write(tmp_path / str(number), changed(base, path, text, is_key)))
            assert all("\n" not in str(problem) for problem in refused.value.problems)


def test_lookalikes_of_the_marker_are_accepted(tmp_path):
    data = yaml.safe_load((MAXIMAL / "maximal.yaml").read_text())
    data["tags"]["workload"] = "{TfToken[TOKEN.10]} $TfToken[x] ${TfTokens} #{x}"
    assert load_config(write(tmp_path, data)).tags["workload"] == data["tags"]["workload"]


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        (("state", "local", "directory"), 'state-${upper("x")}'),
        (("state", "local", "directory"), "state-%{ if true }x%{ endif }"),
        (("state", "azurerm", "key_prefix"), "mdpool/${path.cwd}"),
        (("state", "azurerm", "resource_group_name"), "rg-%{x}"),
    ],
)
def test_a_template_in_a_state_setting_is_refused(setting, value, tmp_path):
    """A backend reads its settings literally, the pool stack's terraform_remote_state evaluates them: refused."""
    data = changed(yaml.safe_load((MAXIMAL / "maximal.yaml").read_text()), setting, value, False)
    with pytest.raises(InputError) as refused:
        load_config(write(tmp_path, data))
    (problem,) = refused.value.problems
    assert ".".join(setting) in str(problem) and "${" in str(problem)


def test_a_lookalike_in_a_state_setting_is_accepted(tmp_path):
    data = yaml.safe_load((MAXIMAL / "maximal.yaml").read_text())
    data["state"]["local"]["directory"] = "state-$HOME-100%-$ {x}"
    data["state"]["azurerm"]["key_prefix"] = "mdpool/$$/{x}"
    config = load_config(write(tmp_path, data))
    assert config.state.local.directory == "state-$HOME-100%-$ {x}"


def test_terraform_reads_a_backend_setting_literally(tmp_path):
    """Why state settings refuse templates: the local backend takes `$${x}` as the file name's own text."""
    (tmp_path / "main.tf.json").write_text(json.dumps({"terraform": {"backend": {"local": {"path": "state-$${x}.tfstate"}}}}))
    env = terraform_env(tmp_path)
    for command in (["init", "-input=false", "-no-color"], ["apply", "-auto-approve", "-input=false", "-no-color"]):
        run = subprocess.run([TERRAFORM, *command], cwd=tmp_path, env=env, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
    assert (tmp_path / "state-$${x}.tfstate").exists()
