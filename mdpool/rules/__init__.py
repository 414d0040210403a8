"""The rules Azure enforces across fields, checked on the whole, typed configuration.

The schema (`mdpool.config`) catches wrong types, unknown keys and out-of-range values. The rules
here need the whole configuration: buffers that add up, schedules within the pool's size,
parallelism matching concurrency, images that exist in this config's gallery, names Azure accepts.
Each rule carries a one-line comment naming its source: the azurerm provider's ValidateFunc
(hashicorp/terraform-provider-azurerm, path and function), a REST spec, or a Microsoft docs page.
A rule mdpool adds without such a source is a warning (printed, exit 0), never an error.
docs/rules.md lists them all.

One module per subject: `schema` (pydantic's errors as problems), `gallery`, `images` (what a
pool runs on), `pool` (one pool's settings), `network`, `names`, `environment` (tags, state), `fleet`
(across the pools of `pools:`).
A rule yields `(loc, message)` for an error or `(loc, message, "warning")` for a warning
(`mdpool.rules.findings`).
"""

from __future__ import annotations

from collections.abc import Iterator

from mdpool.config import EnvironmentConfig
from mdpool.problems import Problem
from mdpool.rules.environment import environment_rules
from mdpool.rules.findings import Finding
from mdpool.rules.fleet import fleet_rules
from mdpool.rules.gallery import build_network_rules, build_source_rules, gallery_rules
from mdpool.rules.images import image_rules, storage_rules
from mdpool.rules.names import name_checks, unique_name_rules
from mdpool.rules.network import network_rules
from mdpool.rules.pool import pool_rules
from mdpool.rules.schema import pydantic_problems
from mdpool.yamlsource import YamlDocument

__all__ = ["check_config", "pydantic_problems"]


def check_config(config: EnvironmentConfig, doc: YamlDocument) -> list[Problem]:
    return [doc.problem(finding[0], finding[1], *finding[2:]) for finding in all_rules(config)]


def all_rules(config: EnvironmentConfig) -> Iterator[Finding]:
    yield from gallery_rules(config)
    for pool in config.pools:
        yield from pool_rules(pool)
        yield from image_rules(config, pool)
        yield from storage_rules(config, pool)
        yield from network_rules(pool)
    yield from environment_rules(config)
    yield from name_checks(config)
    yield from unique_name_rules(config)
    yield from fleet_rules(config)
    yield from build_network_rules(config)
    yield from build_source_rules(config)
    from mdpool.imagebuild.fit import build_fit_findings  # reads the definition files: rendered late

    yield from build_fit_findings(config)  # warnings: timeout and replicas against Microsoft's figures
