"""Fixtures for `mdpool verify`: a deployed pool that serves, on the ARM (pool, metrics, machines, gallery) and
Azure DevOps (agent pools, queues, parallel jobs) stand-ins; each test breaks one thing."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from mdpool.loader import load_config
from mdpool.deploy.recycle import pool_id_of
from tests.deploy.conftest import CONFIG, DATA, _standin_stacks_allowed  # noqa: F401 - fixtures (the stand-in stacks' terraform_data let in)
from tests.support.arm_standin import ArmStandIn
from tests.support.devops_standin import ARM_SCOPE, DEVOPS_SCOPE, DEVOPS_TOKEN, DevOpsStandIn, ScopedTokenCredential
from tests.support.pool_standin import PoolStandIn

ORGANIZATION = "your-organization"
PROJECTS = ("build", "release")
IMAGE = "ubuntu-22.04"
OLD, NEW = "0.25001.9", "0.25001.10"


def verify_config(tmp_path: Path, change=lambda data: None) -> Path:
    data = yaml.safe_load(CONFIG.read_text())
    for image in data["gallery"]["images"]:
        image["build"]["definition"] = str(DATA / "agent.json.j2")
    data["pool"]["maximum_concurrency"] = 3
    data["pool"]["organizations"][0].update({"parallelism": 3, "projects": list(PROJECTS), "open_access": True})
    change(data)
    path = tmp_path / "verify.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@dataclasses.dataclass
class Azure:
    arm: ArmStandIn
    devops: DevOpsStandIn
    pool: PoolStandIn
    config: Path
    out: Path

    @property
    def organization(self):
        return self.devops.organizations[ORGANIZATION]

    def endpoints(self):
        from mdpool.doctor.http import Endpoints
        from mdpool.imagebuild.builder import Connection

        credential = ScopedTokenCredential({ARM_SCOPE: self.arm.credential.token, DEVOPS_SCOPE: DEVOPS_TOKEN})
        return Endpoints(
            arm=Connection(credential, self.arm.base_url, self.arm.ca_file, self.arm.client_kwargs()),
            devops=self.devops.base_url,
            devops_verify=self.devops.ca_file,
        )

    def verify(self):
        from mdpool.verify.command import run_verify

        return run_verify(load_config(self.config), self.out, echo=None, endpoints=self.endpoints())

    def rows(self) -> dict[str, tuple[str, str, str]]:
        return {r.check: (r.status, r.message, r.fix) for r in self.verify()}


@pytest.fixture
def azure(tmp_path):
    config = verify_config(tmp_path)
    cfg = load_config(config)
    with ArmStandIn() as arm, DevOpsStandIn() as devops:
        image_id = cfg.names.gallery_image_id(IMAGE)
        for version in (OLD, NEW):
            arm.add_image_version(image_id, version)
        pool = PoolStandIn(arm, pool_id_of(cfg), page_size=2)
        pool.add_machine("m1", status="Ready", image=image_id, image_version=NEW)
        pool.add_machine("m2", status="Leased", image=image_id, image_version=NEW)
        pool.add_machine("m3", status="Ready", image="ubuntu-22.04/latest", image_version="20250101.1")  # well-known
        org = devops.add_organization(ORGANIZATION)
        org.projects.update(PROJECTS)
        org.agent_pools.add(cfg.names.pool)
        for project in PROJECTS:
            org.queues[project] = {cfg.names.pool, "Azure Pipelines"}
            org.open_queues.add((project, cfg.names.pool))
        org.self_hosted_parallel_jobs = 3  # parallelism 3 (= maximum concurrency): exactly enough
        yield Azure(arm, devops, pool, config, tmp_path / "cdktf.out")
