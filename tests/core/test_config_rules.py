"""Every validation rule has a failing example whose message is asserted (file, line, path, text)."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from mdpool.loader import load_config
from mdpool.problems import InputError
from mdpool.yamlsource import load_yaml
from tests.conftest import EXAMPLE_CONFIG

BASE = load_yaml(EXAMPLE_CONFIG).data


def _set(data: dict, path: str, value: object) -> None:
    """Set `pool.images[0].buffer`-style `path` in nested data; value DELETE removes the key."""
    parts = [int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", path)]
    target = data
    for part in parts[:-1]:
        target = target[part]
    if value is DELETE:
        del target[parts[-1]]
    else:
        target[parts[-1]] = value


DELETE = object()


def write(tmp_path: Path, changes: dict[str, object]) -> Path:
    data = copy.deepcopy(BASE)
    definition = tmp_path / "image.json.j2"
    definition.write_text("{}")
    for image in data["gallery"]["images"]:
        image["build"]["definition"] = definition.name
    for path, value in changes.items():
        _set(data, path, value)
    target = tmp_path / "env.yaml"
    target.write_text(yaml.safe_dump(data, sort_keys=False))
    return target


def problems_of(path: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_config(path)
    return [str(problem) for problem in caught.value.problems]


def test_base_is_valid(tmp_path):
    config = load_config(write(tmp_path, {}))
    assert config.pool.maximum_concurrency == 10


CASES = [
    # (changes, dotted path reported, text of the message)
    (
        {"pool.maximum_concurency": 3},
        "pool.maximum_concurency",
        "unknown key 'maximum_concurency'; did you mean 'maximum_concurrency'?",
    ),
    ({"pool.images[0].bufer": 5}, "pool.images[0].bufer", "did you mean 'buffer'?"),
    # a misspelt key that starts like a type name (int..., str...) is still named as the key
    ({"pool.interactive_logn": True}, "pool.interactive_logn", "did you mean 'interactive_logon'?"),
    (
        {"pool.standby.manual.days.monday.x": 1, "pool.standby.manual.strict": 1},
        "pool.standby.manual.strict",
        "unknown key 'strict'",
    ),
    ({"pool.maximum_concurrency": DELETE}, "pool.maximum_concurrency", "required setting is missing"),
    ({"gallery.images[0].os_type": "Linx"}, "gallery.images[0].os_type", "'Linx' is not allowed; allowed: 'Linux' or 'Windows'"),
    ({"gallery.images[0].specialized": True}, "gallery.images[0].specialized", "allowed: False"),
    ({"subscription_id": "not-a-guid"}, "subscription_id", "must be a GUID"),
    ({"environment": "Dev-1"}, "environment", "1 to 10 lowercase letters or digits"),
    ({"pool.maximum_concurrency": 0}, "pool.maximum_concurrency", "out of range"),
    ({"pool.maximum_concurrency": "10"}, "pool.maximum_concurrency", "must be a valid integer (got str: '10')"),
    # timespans
    ({"pool.agents.grace_period": "00:70:00"}, "pool.agents.grace_period", "minutes/seconds over 59"),
    ({"pool.agents.maximum_lifetime": "8.00:00:00"}, "pool.agents.maximum_lifetime", "longer than 7 days"),
    ({"pool.agents.maximum_lifetime": "2h"}, "pool.agents.maximum_lifetime", "hh:mm:ss or d.hh:mm:ss"),
    ({"pool.agents.kind": "stateless"}, "pool.agents.grace_period", "applies to stateful agents only"),
    # organizations
    (
        {"pool.organizations[0].parallelism": 4},
        "pool.organizations",
        "parallelism adds up to 4 but pool.maximum_concurrency is 10; they must be equal",
    ),
    ({"pool.organizations[0].url": "http://dev.azure.com/x"}, "pool.organizations[0].url", "must be an https:// URL"),
    ({"pool.organizations[0].url": "https://dev.azure.com/x/"}, "pool.organizations[0].url", "must end with a letter or digit"),
    ({"pool.organizations[0].name": "contoso"}, "pool.organizations[0]", "give exactly one of `url` or `name`"),
    ({"pool.permission": {"kind": "SpecificAccounts"}}, "pool.permission", "needs at least one entry in users or groups"),
    # standby schedule
    (
        {"pool.standby.manual.days.monday": {"04:00:00": 11}},
        'pool.standby.manual.days.monday["04:00:00"]',
        "11 standby agents is not allowed; allowed: 0 to maximum_concurrency (10)",
    ),
    (
        {"pool.standby.manual.days.monday": {"04:00:00": 1, "4:00": 2}},
        'pool.standby.manual.days.monday["4:00"]',
        "is the same time as '04:00:00'",
    ),
    ({"pool.standby.manual.days.monday": {"25:00": 1}}, 'pool.standby.manual.days.monday["25:00"]', "is not a time of day"),
    (
        {"pool.standby.manual.days.funday": {"04:00": 1}},
        "pool.standby.manual.days.funday",
        "'funday' is not allowed; allowed: 'sunday'",
    ),
    ({"pool.standby.manual.all_week": 2}, "pool.standby.manual", "give exactly one of `all_week`"),
    (
        {"pool.standby.manual.days": DELETE, "pool.standby.manual.all_week": 12},
        "pool.standby.manual.all_week",
        "12 standby agents is not allowed",
    ),
    ({"pool.standby.manual": DELETE}, "pool.standby", "kind manual needs a `manual:` schedule"),
    ({"pool.standby.kind": "automatic"}, "pool.standby.manual", "only used with kind manual"),
    # images and buffers
    ({"pool.images[0].buffer": 90}, "pool.images", "numeric buffers add up to 90; they must add up to 100"),
    ({"pool.images[0].buffer": "101"}, "pool.images[0].buffer", "allowed: * (even share) or a number from 0 to 100"),
    (
        {"pool.images[1].buffer": "*", "pool.images[0].buffer": 100, "pool.images[2].buffer": 5},
        "pool.images",
        "with * images they may add up to 100 at most",
    ),
    (
        {"pool.images[2].gallery_image": "ubuntu-2204"},
        "pool.images[2].gallery_image",
        "'ubuntu-2204' is not an image of this config's gallery; did you mean 'ubuntu-22.04'?",
    ),
    ({"pool.images[2].version": "newest"}, "pool.images[2].version", "allowed: latest or a gallery image version"),
    ({"pool.images[1].well_known": "windows-2019/latest"}, "pool.images[1].well_known", "windows-2019 is blocked"),
    ({"pool.images[0].gallery_image": "ubuntu-22.04"}, "pool.images[0]", "give exactly one of `well_known`"),
    # gallery
    ({"gallery.images[1].name": "ubuntu-22.04"}, "gallery.images[1].name", "is defined twice"),
    ({"gallery.images[1].identifier.sku": "22.04-LTS"}, "gallery.images[1].identifier", "needs its own identifier"),
    (
        {"gallery.images[0].build.definition": "missing.json"},
        "gallery.images[0].build.definition",
        "file 'missing.json' not found",
    ),
    ({"gallery.images[0].build.timeout_minutes": 1000}, "gallery.images[0].build.timeout_minutes", "out of range"),
    # disks
    ({"pool.data_disk": {"size_gb": 0}}, "pool.data_disk.size_gb", "out of range"),
    ({"pool.data_disk": {"size_gb": 40000}}, "pool.data_disk.size_gb", "out of range"),
    (
        {"pool.data_disk": {"size_gb": 64, "drive_letter": "D"}},
        "pool.data_disk.drive_letter",
        "'D' is not allowed; allowed: one letter from F to Z",
    ),
    ({"pool.data_disk": {"size_gb": 64, "drive_letter": "FG"}}, "pool.data_disk.drive_letter", "allowed: one letter from F to Z"),
    # network, identity, sku, tags, state
    ({"pool.network": {"subnet_id": "/subscriptions/x/subnets/y"}}, "pool.network.subnet_id", "not a subnet id"),
    (
        {"pool.network": {"new": {"address_space": "10.0.0.0/24", "subnet_prefix": "10.0.0.0/29"}}},
        "pool.network.new.subnet_prefix",
        "has 8 addresses; the pool needs maximum_concurrency + 5 = 15",
    ),
    (
        {"pool.network": {"new": {"address_space": "10.0.0.0/24", "subnet_prefix": "10.1.0.0/26"}}},
        "pool.network.new.subnet_prefix",
        "is not inside address_space",
    ),
    ({"pool.network": {}}, "pool.network", "give `subnet_id` (existing), `new`"),
    ({"pool.identity_ids": ["id-agents"]}, "pool.identity_ids[0]", "not a user-assigned identity id"),
    ({"tags": {"a/b": "x"}}, 'tags["a/b"]', "tag names may not contain any of < > % & \\ ? /"),
    ({"state.backend": "azurerm"}, "state", "backend azurerm needs an `azurerm:` block"),
    ({"state.local": {"directory": "../elsewhere"}}, "state.local.directory", "must be a relative path inside the project"),
    # names (explicit, and derived ones too long)
    (
        {"gallery.name": "gal-jhp-dev"},
        "gallery.name",
        "gallery name 'gal-jhp-dev' is not valid; allowed: letters, digits, underscores and periods (no hyphens)",
    ),
    ({"pool.name": "-pool"}, "pool.name", "managed devops pool name '-pool' is not valid"),
    (
        {"naming.prefix": "contosoltd", "environment": "production"},
        "pool.dev_center_name",
        "dev center name 'dc-contosoltd-production-weu' has 28 characters; allowed: 3 to 26",
    ),
    ({"resource_groups": {"gallery": "rg."}}, "resource_groups.gallery", "not ending in a period"),
    (
        {"gallery.images[0].build.template_name": "it/bad"},
        "gallery.images[0].build.template_name",
        "image template name 'it/bad' is not valid",
    ),
]


@pytest.mark.parametrize("changes, path, text", CASES, ids=[case[1] + ":" + case[2][:30] for case in CASES])
def test_rule_reports_one_clear_line(tmp_path, changes, path, text):
    config_file = write(tmp_path, changes)
    problems = problems_of(config_file)
    matching = [p for p in problems if f": {path}: " in p]
    assert matching, f"no problem at {path}; got {problems}"
    assert any(text in p for p in matching), matching
    for problem in problems:
        assert re.match(rf"^{re.escape(str(config_file))}:\d+: \S", problem), problem
        assert "\n" not in problem


def test_all_problems_are_reported_at_once(tmp_path):
    config_file = write(
        tmp_path,
        {"pool.images[0].buffer": 90, "pool.organizations[0].parallelism": 4, "pool.images[1].well_known": "windows-2019/latest"},
    )
    problems = problems_of(config_file)
    assert len(problems) == 3, problems


def test_line_numbers_point_at_the_setting(tmp_path):
    config_file = write(tmp_path, {"pool.sku": ""})
    lines = config_file.read_text().splitlines()
    (problem,) = problems_of(config_file)
    line = int(problem.split(":")[1])
    assert lines[line - 1].strip() == "sku: ''"


def test_valid_variants_load(tmp_path):
    config = load_config(
        write(
            tmp_path,
            {
                "pool.organizations": [
                    {"name": "contoso", "parallelism": 6},
                    {"url": "https://dev.azure.com/b", "parallelism": 4},
                ],
                "pool.standby": {"kind": "automatic", "automatic": {"prediction_preference": "MostCostEffective"}},
                "pool.agents": {"kind": "stateless"},
                "pool.images[0].buffer": "*",
                "pool.images[1].buffer": "*",
                "pool.images[2].buffer": "*",
            },
        )
    )
    assert config.pool.organizations[0].resolved_url == "https://dev.azure.com/contoso"
    assert config.pool.standby.automatic.prediction_preference == "MostCostEffective"
