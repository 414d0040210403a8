"""The staged deploy end to end: the real terraform on the stand-in stacks, the real build flow and
Azure SDK clients against the loopback ARM stand-in (tests/support/arm_standin.py)."""

from __future__ import annotations

import os
import re
import signal
import threading
import time

import pytest

from mdpool.deploy.errors import DeployError
from mdpool.deploy.images import ImageBuildStage
from mdpool.deploy.orchestrator import Deployment, Interrupted, SynthOutput
from mdpool.imagebuild.builder import BuildOptions, Connection
from tests.deploy.test_stages import STANDIN_POLICY
from tests.support.arm_standin import ArmStandIn

RG = "rg-jhp-images-dev-weu"
TEMPLATES = {"ubuntu-22.04": "it-jhp-ubuntu-22.04-dev", "ubuntu-24.04": "it-jhp-ubuntu-24.04-dev"}


@pytest.fixture
def arm():
    with ArmStandIn(build_duration=0.2) as standin:
        yield standin


def make_deployment(workspace, terraform, captured, arm, deploy_config, **options) -> Deployment:
    builds = ImageBuildStage(
        deploy_config,
        connection=Connection(arm.credential, arm.base_url, arm.ca_file, arm.client_kwargs()),
        options=BuildOptions(poll_interval=0.05, auth_retry_window=2, auth_retry_interval=0.05),
        console=captured.console,
    )
    options.setdefault("policy", STANDIN_POLICY)
    return Deployment(SynthOutput.load(workspace.out), terraform, builds, console=captured.console, **options)


def writes(arm, since: int = 0) -> list[tuple[str, str]]:
    """(method, template name) of the changing ARM calls (PUT/POST/DELETE) after request number `since`."""
    found = []
    for request in arm.requests[since:]:
        if request.method != "GET":
            match = re.search(r"/imageTemplates/([^/]+)", request.path)
            found.append((request.method, match.group(1) if match else request.path))
    return found


def line_time(captured, text: str) -> float:
    return next(at for at, line in captured.timed if text in line)


def test_full_deploy_from_nothing_in_order(workspace, terraform, captured, arm, deploy_config):
    dep = make_deployment(workspace, terraform, captured, arm, deploy_config)
    report = dep.deploy()

    assert report.result == "succeeded"
    assert [(s.name, s.status) for s in report.stacks] == [("gallery-dev", "applied"), ("pool-dev", "applied")]
    assert [(i.name, i.outcome) for i in report.images] == [("ubuntu-22.04", "built"), ("ubuntu-24.04", "built")]
    # the order Azure needs: gallery applied -> every build run and finished -> pool planned and applied
    gallery_applied = line_time(captured, "[gallery-dev] Apply complete!")
    pool_started = line_time(captured, "[pool-dev] Initializing")
    assert gallery_applied < arm.requests[0].at
    assert arm.requests[-1].at < pool_started
    assert len(arm.requests_matching("POST", r"/run$")) == 2
    # each build produced a version in its image definition (the id the gallery stack reported)
    for image in report.images:
        image_id = (
            f"/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/{RG}/providers/"
            f"Microsoft.Compute/galleries/gal_jhp_dev_weu/images/{image.name}"
        )
        assert image.version_id and image.version_id.startswith(image_id + "/versions/")
        assert [v["id"] for v in arm.image_versions(image_id)] == [image.version_id]
    assert workspace.state_resources("pool-dev") == ["terraform_data.pool"]
    assert "deployed dev: applied gallery-dev, pool-dev; built ubuntu-22.04, ubuntu-24.04" in captured.text
    # the CI summary
    summary = report.to_json()
    assert [(s["name"], s["applied"]) for s in summary["stacks"]] == [("gallery-dev", True), ("pool-dev", True)]
    assert [(i["name"], i["outcome"], i["version_id"]) for i in summary["images"]] == [
        (i.name, "built", i.version_id) for i in report.images
    ]
    assert all(i["seconds"] > 0 for i in summary["images"]) and summary["seconds"] > 0


def test_rerun_with_no_change_builds_and_applies_nothing(workspace, terraform, captured, arm, deploy_config):
    make_deployment(workspace, terraform, captured, arm, deploy_config).deploy()
    serials = (workspace.serial("gallery-dev"), workspace.serial("pool-dev"))
    seen, lines = len(arm.requests), len(captured.timed)

    started = time.monotonic()
    report = make_deployment(workspace, terraform, captured, arm, deploy_config).deploy()
    took = time.monotonic() - started

    assert report.result == "nothing to do"
    assert [(s.name, s.status) for s in report.stacks] == [("gallery-dev", "no changes"), ("pool-dev", "no changes")]
    assert [(i.name, i.outcome) for i in report.images] == [("ubuntu-22.04", "skipped"), ("ubuntu-24.04", "skipped")]
    assert writes(arm, seen) == []  # only reads: no template created, no build run
    assert not any("Apply complete" in line for _, line in captured.timed[lines:])  # no apply
    assert (workspace.serial("gallery-dev"), workspace.serial("pool-dev")) == serials
    assert "nothing to do: gallery-dev and pool-dev have no changes, 2 image(s) up to date" in captured.text
    assert took < 15, f"a rerun with nothing to do took {took:.1f} s"


def test_failed_build_stops_before_the_pool_and_a_rerun_completes(workspace, terraform, captured, arm, deploy_config):
    arm.script_build(TEMPLATES["ubuntu-24.04"], outcome="Failed", times=1)
    dep = make_deployment(workspace, terraform, captured, arm, deploy_config)
    with pytest.raises(DeployError) as caught:
        dep.deploy()
    failure, stop = caught.value.lines
    assert failure.startswith("image ubuntu-24.04: build failed: ")
    assert "customization log: https://" in failure and failure.endswith("/customization.log")
    assert stop == ("pool-dev: not applied, because an image build failed; fix it and run `mdpool deploy` again")
    assert dep.report.result == "failed"
    assert [(i.name, i.outcome) for i in dep.report.images] == [("ubuntu-22.04", "built"), ("ubuntu-24.04", "failed")]
    assert [s.name for s in dep.report.stacks] == ["gallery-dev"]  # the pool stack was not even planned
    assert workspace.state_resources("pool-dev") == []

    # the fix (here: the scripted failure is used up); the rerun continues where it stopped
    seen = len(arm.requests)
    report = make_deployment(workspace, terraform, captured, arm, deploy_config).deploy()
    assert report.result == "succeeded"
    assert [(s.name, s.status) for s in report.stacks] == [("gallery-dev", "no changes"), ("pool-dev", "applied")]
    assert [(i.name, i.outcome) for i in report.images] == [("ubuntu-22.04", "skipped"), ("ubuntu-24.04", "built")]
    assert {name for _, name in writes(arm, seen)} == {TEMPLATES["ubuntu-24.04"]}  # only the failed one again
    assert workspace.state_resources("pool-dev") == ["terraform_data.pool"]


def test_interrupted_deploy_resumes_and_reattaches_to_the_running_build(workspace, terraform, captured, arm, deploy_config):
    slow = TEMPLATES["ubuntu-24.04"]
    arm.script_build(slow, duration=2.0, times=1)

    fast_image = (
        f"/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/{RG}/providers/"
        "Microsoft.Compute/galleries/gal_jhp_dev_weu/images/ubuntu-22.04"
    )

    def ctrl_c_once_the_slow_build_runs() -> None:
        deadline = time.monotonic() + 30  # bounded: a broken deploy must not hang the suite
        while time.monotonic() < deadline and not (
            arm.requests_matching("POST", f"{slow}/run$") and arm.image_versions(fast_image)
        ):
            time.sleep(0.02)
        time.sleep(0.1)
        os.kill(os.getpid(), signal.SIGINT)  # what Ctrl-C in the terminal does

    interrupter = threading.Thread(target=ctrl_c_once_the_slow_build_runs)
    interrupter.start()
    dep = make_deployment(workspace, terraform, captured, arm, deploy_config)
    try:
        with pytest.raises(Interrupted) as caught:
            dep.deploy()
    finally:
        interrupter.join()
    assert str(caught.value) == ("interrupted; nothing was cancelled: run `mdpool deploy` again to continue where it stopped")
    assert dep.report.result == "interrupted"
    assert workspace.state_resources("pool-dev") == []
    # the build was not cancelled: it still runs in Azure
    assert arm.template(RG, slow)["properties"]["lastRunStatus"]["runState"] == "Running"
    assert arm.requests_matching("POST", r"/cancel$") == []

    seen = len(arm.requests)
    report = make_deployment(workspace, terraform, captured, arm, deploy_config).deploy()
    assert report.result == "succeeded"
    assert [(i.name, i.outcome) for i in report.images] == [("ubuntu-22.04", "skipped"), ("ubuntu-24.04", "reattached")]
    assert writes(arm, seen) == []  # reattached: not cancelled, deleted, re-created or run again
    assert arm.template(RG, slow)["properties"]["lastRunStatus"]["runState"] == "Succeeded"
    assert [(s.name, s.status) for s in report.stacks] == [("gallery-dev", "no changes"), ("pool-dev", "applied")]


def test_the_summary_lists_the_pools_static_outbound_addresses(workspace, terraform, captured, arm, deploy_config):
    workspace.use("static-ips")
    report = make_deployment(workspace, terraform, captured, arm, deploy_config).deploy()
    assert report.result == "succeeded"
    assert report.static_ip_addresses == ["20.1.2.3", "20.1.2.4"]
    assert "pool-dev: static outbound IP addresses: 20.1.2.3, 20.1.2.4" in captured.text
    assert report.to_json()["static_ip_addresses"] == ["20.1.2.3", "20.1.2.4"]


def test_no_static_addresses_no_line(workspace, terraform, captured, arm, deploy_config):
    report = make_deployment(workspace, terraform, captured, arm, deploy_config).deploy()
    assert report.static_ip_addresses == [] and "static outbound" not in captured.text
