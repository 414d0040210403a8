"""The committed JSON Schemas and the configuration reference: fresh, and agreeing with the readers."""

from __future__ import annotations

import copy
import json
import re

import jsonschema
import pytest

from mdpool import schemas
from mdpool.imagebuild.definition import parse_definition
from mdpool.problems import InputError
from tests.conftest import EXAMPLE_CONFIG, REPO

DEFINITION = REPO / "images" / "ubuntu-buildagent.json.j2"


def test_generated_files_are_fresh():
    stale = schemas.stale_files(REPO)
    assert stale == [], f"{stale} out of date with the models; regenerate with `{schemas.REGENERATE}` and commit"


@pytest.fixture(scope="module")
def config_validator():
    schema = json.loads((REPO / schemas.CONFIG_SCHEMA).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def definition_validator():
    schema = json.loads((REPO / schemas.DEFINITION_SCHEMA).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def example_data():
    from mdpool.yamlsource import load_yaml

    return load_yaml(EXAMPLE_CONFIG).data


def test_example_config_points_editors_at_the_schema():
    first = EXAMPLE_CONFIG.read_text().splitlines()[0]
    match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert match and (EXAMPLE_CONFIG.parent / match[1]).resolve() == (REPO / schemas.CONFIG_SCHEMA).resolve()


def test_example_config_is_valid_under_the_schema(config_validator):
    assert [e.message for e in config_validator.iter_errors(example_data())] == []


@pytest.mark.parametrize(
    "edit, where",
    [
        (lambda d: d["pool"].update(maximum_concurency=10), "pool"),  # misspelt key
        (lambda d: d["pool"].update(maximum_concurrency="ten"), "pool.maximum_concurrency"),
        (lambda d: d["pool"].update(maximum_concurrency=0), "pool.maximum_concurrency"),  # below ge=1
        (lambda d: d["pool"]["agents"].update(grace_period="1 hour"), "pool.agents.grace_period"),
        (lambda d: d.update(subscription_id="not-a-guid"), "subscription_id"),
        (lambda d: d.pop("pool"), ""),
    ],
)
def test_config_schema_refuses_what_validate_refuses(edit, where, config_validator, tmp_path):
    data = copy.deepcopy(example_data())
    edit(data)
    errors = list(config_validator.iter_errors(data))
    assert errors and any(".".join(map(str, e.absolute_path)).startswith(where) for e in errors)
    # and mdpool itself refuses the same file
    import yaml

    from mdpool.loader import load_config

    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data).replace("../images/", str(REPO / "images") + "/"))
    with pytest.raises(InputError):
        load_config(path)


def test_config_schema_accepts_the_bounds(config_validator):
    for value in (1, 10000):  # Pool.maximum_concurrency: ge=1, le=10000
        data = copy.deepcopy(example_data())
        data["pool"]["maximum_concurrency"] = value
        assert not [e for e in config_validator.iter_errors(data) if "maximum_concurrency" in str(e.absolute_path)]
    data["pool"]["maximum_concurrency"] = 10001
    assert list(config_validator.iter_errors(data))


VERSION_ID = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-jhp-images-dev-weu/providers/"
    "Microsoft.Compute/galleries/gal_jhp_dev_weu/images/ubuntu-22.04/versions/1.0.0"
)


@pytest.mark.parametrize(
    "source, accepted",
    [
        ({"publisher": "Canonical", "offer": "ubuntu-24_04-lts", "sku": "server"}, True),
        ({"gallery_image": "ubuntu-22.04", "version": "latest"}, True),
        ({"image_version_id": VERSION_ID}, True),
        ({}, False),
        ({"publisher": "Canonical", "offer": "ubuntu-24_04-lts"}, False),  # no sku
        ({"gallery_image": "ubuntu-22.04", "image_version_id": VERSION_ID}, False),  # two kinds
        ({"gallery_image": "ubuntu-22.04", "publisher": "p", "offer": "o", "sku": "s"}, False),
        ({"gallery_image": None}, False),  # never null, as in the model
    ],
)
def test_the_schema_wants_one_kind_of_build_source_as_validate_does(source, accepted, config_validator, tmp_path):
    import yaml

    from mdpool.loader import load_config

    data = copy.deepcopy(example_data())
    data["gallery"]["images"][1]["build"]["source"] = source
    # the build is `ImageBuild or null`: a bad source is an error of the build's anyOf
    errors = [e for e in config_validator.iter_errors(data) if list(e.absolute_path)[:4] == ["gallery", "images", 1, "build"]]
    assert (errors == []) == accepted, errors
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data).replace("../images/", str(REPO / "images") + "/"))
    if accepted:
        load_config(path)
    else:
        with pytest.raises(InputError):
            load_config(path)


def test_field_docstrings_are_descriptions():
    schema = json.loads((REPO / schemas.CONFIG_SCHEMA).read_text())
    assert schema["$defs"]["Naming"]["properties"]["prefix"]["description"].startswith("Short lowercase")
    assert "DevOpsInfrastructure" in schema["properties"]["devops_infrastructure_principal_id"]["description"]


def test_example_definition_points_at_its_schema_and_is_valid(definition_validator):
    document = json.loads(DEFINITION.read_text())
    assert (DEFINITION.parent / document["$schema"]).resolve() == (REPO / schemas.DEFINITION_SCHEMA).resolve()
    assert [e.message for e in definition_validator.iter_errors(document)] == []
    # the reader ignores $schema: the same definition parses with and without it
    rendered = DEFINITION.read_text().replace("{{ Location }}", "westeurope")
    without = {key: value for key, value in json.loads(rendered).items() if key != "$schema"}
    assert parse_definition(rendered, label="a") == parse_definition(json.dumps(without), label="a")


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d.update(DiskSizeGib=256),  # misspelt top key
        lambda d: d["Customizers"][0].update(Inline=42),  # not a list of strings
        lambda d: d["Customizers"][0].update(ScriptUri="http://example.com/x"),  # plain http
        lambda d: d["Customizers"][0].pop("ShellCustomizer"),  # no parameter set
        lambda d: d["Customizers"][0].update(RunElevated=True),  # a PowerShell parameter
        lambda d: d.update(DiskSizeGiB=4096),  # beyond 4095
        lambda d: d.update(TargetRegion=[]),
    ],
)
def test_definition_schema_refuses_what_the_reader_refuses(edit, definition_validator):
    document = json.loads(DEFINITION.read_text().replace("{{ Location }}", "westeurope"))
    edit(document)
    assert list(definition_validator.iter_errors(document))
    with pytest.raises(InputError):
        parse_definition(json.dumps(document), label="d.json", os_type="Linux")


def test_definition_schema_accepts_the_bounds(definition_validator):
    document = json.loads(DEFINITION.read_text())
    for size in (0, 4095):
        document["DiskSizeGiB"] = size
        assert list(definition_validator.iter_errors(document)) == []
        parse_definition(json.dumps(document).replace("{{ Location }}", "westeurope"), label="d.json")


def test_reference_lists_every_field_of_every_model():
    from pydantic import BaseModel

    import mdpool.config as config

    text = (REPO / schemas.CONFIG_REFERENCE).read_text()
    models = [
        m
        for m in vars(config).values()
        if isinstance(m, type) and issubclass(m, BaseModel) and m not in (BaseModel, config.Model)
    ]
    for model in models:
        for name, field in model.model_fields.items():
            key = field.alias or name  # the key the file uses (`pool`, `pools`)
            assert f"| `{key}` |" in text, f"{model.__name__}.{name}"
    assert '| `prefix` | string (pattern `^[a-z][a-z0-9]{1,9}$`) | `"mdpool"` | Short lowercase' in text
