"""Fixtures for the doctor tests: the ARM stand-in with the doctor's endpoints, Azure DevOps and Graph
stand-ins, and a credential that hands each service the token for its own audience only."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mdpool.loader import load_config
from tests.support.arm_standin import ArmStandIn
from tests.support.devops_standin import (
    ARM_SCOPE,
    DEVOPS_SCOPE,
    DEVOPS_TOKEN,
    GRAPH_SCOPE,
    GRAPH_TOKEN,
    DevOpsStandIn,
    ScopedTokenCredential,
)
from tests.support.doctor_standin import DoctorAzure, GraphStandIn

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "config" / "example.yaml"
SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"  # the example's
PRINCIPAL = "11111111-1111-1111-1111-111111111111"  # the example's devops_infrastructure_principal_id
ORGANIZATION = "your-organization"


@pytest.fixture
def arm():
    with ArmStandIn(subscription_id=SUBSCRIPTION) as arm:
        yield arm


@pytest.fixture
def azure(arm) -> DoctorAzure:
    return DoctorAzure(arm)


@pytest.fixture
def devops():
    with DevOpsStandIn() as devops:
        devops.add_organization(ORGANIZATION)
        yield devops


@pytest.fixture
def graph():
    with GraphStandIn() as graph:
        graph.service_principals["DevOpsInfrastructure"] = [PRINCIPAL]
        yield graph


@pytest.fixture
def credential(arm) -> ScopedTokenCredential:
    return ScopedTokenCredential({ARM_SCOPE: arm.credential.token, DEVOPS_SCOPE: DEVOPS_TOKEN, GRAPH_SCOPE: GRAPH_TOKEN})


@pytest.fixture
def endpoints(arm, azure, devops, graph, credential):
    """Where the checks go: the stand-ins, through the production client settings (retries on)."""
    from mdpool.doctor.http import Endpoints
    from mdpool.imagebuild.builder import Connection

    return Endpoints(
        arm=Connection(credential, arm.base_url, arm.ca_file),
        graph=graph.base_url,
        graph_verify=graph.ca_file,
        devops=devops.base_url,
        devops_verify=devops.ca_file,
    )


@pytest.fixture
def example():
    return load_config(EXAMPLE)


def write_config(tmp_path: Path, change) -> Path:
    """The example with `change(data)` applied, written beside copies of nothing: definitions stay in the repo."""
    data = yaml.safe_load(EXAMPLE.read_text())
    for image in data["gallery"]["images"]:
        if "build" in image:
            image["build"]["definition"] = str(REPO / "images" / "ubuntu-buildagent.json.j2")
    change(data)
    path = tmp_path / "env.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path
