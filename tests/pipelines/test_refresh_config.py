"""`pipelines.image_refresh_cron`: weekly by default; five cron fields (Azure Pipelines' `mm HH DD MM DW`,
learn.microsoft.com "Configure schedules for pipelines") or one line saying what is wrong."""

from __future__ import annotations

import pytest
import yaml

from mdpool.loader import load_config
from mdpool.problems import InputError
from tests.conftest import EXAMPLE_CONFIG, REPO


def config_with(tmp_path, cron):
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    for image in data["gallery"]["images"]:
        image["build"]["definition"] = str(REPO / "images" / image["build"]["definition"].split("/")[-1])
    if cron is not None:
        data["pipelines"] = {"image_refresh_cron": cron}
    path = tmp_path / "env.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_weekly_by_default(tmp_path):
    assert load_config(config_with(tmp_path, None)).pipelines.image_refresh_cron == "0 3 * * 1"


@pytest.mark.parametrize("cron", ["30 2 * * 0", "0 */6 * * *", "0 3 1-7 * Mon", "15,45 8 * Jan,Jul 1-5"])
def test_five_fields_are_accepted(tmp_path, cron):
    assert load_config(config_with(tmp_path, cron)).pipelines.image_refresh_cron == cron


@pytest.mark.parametrize("cron", ["0 3 * *", "0 3 * * 1 2026", "", "0 3 * * 1; rm -rf /"])
def test_anything_else_is_one_line(tmp_path, cron):
    with pytest.raises(InputError) as error:
        load_config(config_with(tmp_path, cron))
    (problem,) = error.value.problems
    assert problem.path == "pipelines.image_refresh_cron"
    assert problem.line is not None
    assert "allowed: five cron fields `mm HH DD MM DW` in UTC" in problem.message
