"""Versions that don't pile up: after a build, versions beyond `keep_versions` go, and none that is still needed.

Against the loopback ARM stand-in (the real azure-core pipeline over HTTPS, retries on), the pools'
machines served by tests/support/pool_standin.py, a running template as Image Builder shows it, and a
rollout state file as mdpool.rollout writes it. A deletion is the compute spec's long-running
GalleryImageVersions_Delete (202 + Azure-AsyncOperation, example GalleryImageVersion_Delete.json).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mdpool.deploy.retention import tidy_after_builds
from mdpool.imagebuild.builder import Connection
from mdpool.loader import load_config
from mdpool.problems import InputError
from mdpool.rollout.state import RolloutState, save
from tests.support.arm_standin import ArmStandIn
from tests.support.pool_standin import PoolStandIn

DATA = Path(__file__).parent / "data"
IMAGE = "ubuntu-22.04"

CONFIG = """\
environment: dev
subscription_id: 00000000-0000-0000-0000-000000000001
location: westeurope
naming: {{prefix: jhp}}
state: {{backend: local}}
gallery:
  images:
    - name: ubuntu-22.04
      os_type: Linux
      identifier: {{publisher: JHP, offer: UbuntuServerPipelineAgent, sku: 22.04-LTS}}
      {keep}
      build:
        definition: agent.json.j2
        variables: {{BaseName: jhp-ubuntu-buildagent}}
        source: {{publisher: Canonical, offer: 0001-com-ubuntu-server-jammy, sku: 22_04-lts-gen2, version: latest}}
devops_infrastructure_principal_id: 11111111-1111-1111-1111-111111111111
pool_defaults:
  organizations: [{{url: https://dev.azure.com/your-organization}}]
pools:
  - name: linux
    maximum_concurrency: 2
    images: [{{gallery_image: ubuntu-22.04, buffer: "*"}}]
  - name: pinned
    maximum_concurrency: 1
    images: [{{gallery_image: ubuntu-22.04, version: 0.0.2, buffer: "*"}}]
"""


def write_config(tmp_path: Path, keep: int | None) -> Path:
    shutil.copy(DATA / "agent.json.j2", tmp_path / "agent.json.j2")
    path = tmp_path / "env.yaml"
    path.write_text(CONFIG.format(keep="" if keep is None else f"keep_versions: {keep}"), encoding="utf-8")
    return path


def config(tmp_path: Path, keep: int | None = 3):
    return load_config(write_config(tmp_path, keep))


@pytest.fixture
def arm():
    with ArmStandIn() as standin:
        yield standin


def connection(arm) -> Connection:
    return Connection(arm.credential, arm.base_url, arm.ca_file, arm.client_kwargs())


def tidy(cfg, arm, rollout_state: Path | None = None):
    image_id = cfg.names.gallery_image_id(IMAGE)
    return tidy_after_builds(
        cfg, [(IMAGE, image_id, cfg.names.gallery_resource_group)], connection(arm), rollout_state=rollout_state, sleep=lambda s: None
    )[IMAGE]


def remaining(arm, cfg) -> list[str]:
    from mdpool.deploy.recycle import version_key

    return sorted((v["name"] for v in arm.image_versions(cfg.names.gallery_image_id(IMAGE))), key=version_key)


def seed(arm, cfg, names, **kwargs) -> str:
    image_id = cfg.names.gallery_image_id(IMAGE)
    for name in names:
        arm.add_image_version(image_id, name, **kwargs)
    return image_id


def pool_id(cfg, name: str) -> str:
    return cfg.names.pool_id(next(p for p in cfg.pools if p.key == name))


def test_beyond_the_newest_n_only_what_no_guard_holds_is_deleted(arm, tmp_path):
    cfg = config(tmp_path, keep=3)
    image_id = seed(arm, cfg, ["0.0.2", "0.1.1", "0.1.2", "0.1.3", "0.1.4", "0.1.6", "0.1.7", "0.1.8", "0.1.9", "0.1.10", "0.1.11", "0.1.12"])
    arm.add_image_version(image_id, "0.1.0", provisioning_state="Failed")  # a failed build's version: garbage
    arm.add_image_version(image_id, "0.1.5", provisioning_state="Creating")  # a build writes it
    machines = PoolStandIn(arm, pool_id(cfg, "linux"))
    machines.add_machine("m1", status="Leased", image=image_id, image_version="0.1.4")  # a machine runs it
    machines.add_machine("m2", status="Ready", image="ubuntu-22.04/latest", image_version="0.1.3")  # another image
    # a running template that distributes to 0.1.6 by version id (Image Builder's SharedImage galleryImageId)
    template = {
        "location": "westeurope",
        "properties": {
            "source": {"type": "PlatformImage", "publisher": "p", "offer": "o", "sku": "s", "version": "1.0.0"},
            "distribute": [{"type": "SharedImage", "galleryImageId": f"{image_id}/versions/0.1.6", "runOutputName": "x"}],
        },
    }
    arm.add_template(cfg.names.gallery_resource_group, "other-build", template, run_state="Running", build_duration=60)
    rollout = tmp_path / "rollout-dev.json"  # a canary of 0.1.8 under way, the pools keeping 0.1.7
    save(rollout, RolloutState(image=IMAGE, version="0.1.8", previous="0.1.7", pools=["linux"], phase="smoke"))

    retention = tidy(cfg, arm, rollout)

    deleted = ["0.1.9", "0.1.3", "0.1.2", "0.1.1", "0.1.0"]  # newest first; 0.1.10 < 0.1.12 by number, not by text
    assert retention.deleted == deleted and retention.warnings == []
    assert arm.version_deletes == [f"{image_id}/versions/{v}" for v in deleted]
    assert remaining(arm, cfg) == ["0.0.2", "0.1.4", "0.1.5", "0.1.6", "0.1.7", "0.1.8", "0.1.10", "0.1.11", "0.1.12"]
    why = {d["version"]: d["kept_because"] for d in retention.to_json()["versions"]}
    assert why["0.1.12"] == ["among the newest 3", "the newest version", "what `latest` resolves to"]
    assert why["0.0.2"] == ["pinned by pool mdp-jhp-dev-pinned-weu"]
    assert why["0.1.4"] == ["run by machines of pool mdp-jhp-dev-linux-weu"]
    assert why["0.1.5"] == ["being written (provisioningState Creating)"]
    assert why["0.1.6"] == ["written by the running build other-build"]
    assert why["0.1.7"] == ["the previous version of the rollout under way (smoke)"]
    assert why["0.1.8"] == ["the new version of the rollout under way (smoke)"]
    assert why["0.1.9"] == []
    # each deletion went through its async operation to the end (the version is gone, not left Deleting)
    assert len(arm.requests_matching("GET", r"/capsOperations/")) >= len(deleted)


def test_a_finished_rollout_holds_nothing(arm, tmp_path):
    cfg = config(tmp_path, keep=1)
    seed(arm, cfg, ["0.1.3", "0.1.4", "0.1.5"])
    rollout = tmp_path / "rollout-dev.json"
    save(rollout, RolloutState(image=IMAGE, version="0.1.4", previous="0.1.3", pools=["linux"], phase="promoted"))
    assert tidy(cfg, arm, rollout).deleted == ["0.1.4", "0.1.3"]


def test_keep_versions_1_keeps_just_the_newest(arm, tmp_path):
    cfg = config(tmp_path, keep=1)
    seed(arm, cfg, ["0.1.9", "0.1.10", "0.1.11"])
    assert tidy(cfg, arm).deleted == ["0.1.10", "0.1.9"]
    assert remaining(arm, cfg) == ["0.1.11"]


def test_keep_versions_0_deletes_nothing(arm, tmp_path):
    cfg = config(tmp_path, keep=0)
    seed(arm, cfg, [f"0.1.{n}" for n in range(1, 12)])
    retention = tidy(cfg, arm)
    assert retention.deleted == [] and arm.version_deletes == []
    assert {tuple(d["kept_because"]) for d in retention.to_json()["versions"]} >= {("keep_versions 0 keeps every version",)}


def test_the_default_keeps_five(arm, tmp_path):
    cfg = config(tmp_path, keep=None)
    seed(arm, cfg, [f"0.1.{n}" for n in range(1, 8)])
    assert tidy(cfg, arm).deleted == ["0.1.2", "0.1.1"]


def test_what_latest_resolves_to_stays_though_newer_ones_are_excluded(arm, tmp_path):
    # a rolled-back canary stays excluded from latest: the pools at latest run the version below it
    cfg = config(tmp_path, keep=1)
    image_id = seed(arm, cfg, ["0.1.1", "0.1.2"])
    arm.add_image_version(image_id, "0.1.3", exclude_from_latest=True)
    retention = tidy(cfg, arm)
    assert retention.deleted == ["0.1.1"]
    assert "what `latest` resolves to" in next(d.reasons for d in retention.decisions if d.version == "0.1.2")


def test_a_guard_that_cannot_be_asked_deletes_nothing_and_warns(arm, tmp_path):
    cfg = config(tmp_path, keep=1)
    seed(arm, cfg, ["0.1.1", "0.1.2", "0.1.3"])
    PoolStandIn(arm, pool_id(cfg, "linux"))
    arm.fail("GET", r"/pools/mdp-jhp-dev-linux-weu/resources$", 403, times=20, code="AuthorizationFailed")
    retention = tidy(cfg, arm)
    assert retention.deleted == [] and arm.version_deletes == []
    (warning,) = retention.warnings
    assert warning.startswith("old versions not tidied: cannot list the machines of pool mdp-jhp-dev-linux-weu")


def test_a_failed_deletion_is_a_warning_and_the_others_go(arm, tmp_path):
    cfg = config(tmp_path, keep=1)
    seed(arm, cfg, ["0.1.1", "0.1.2", "0.1.3"])
    arm.fail("DELETE", r"/versions/0\.1\.2$", 409, code="Conflict", message="The version is in use by a replica operation.")
    retention = tidy(cfg, arm)
    assert retention.deleted == ["0.1.1"]
    assert retention.warnings == ["version 0.1.2 not deleted: HTTP 409 Conflict The version is in use by a replica operation."]
    assert remaining(arm, cfg) == ["0.1.2", "0.1.3"]


@pytest.mark.parametrize("value", [-1, 10001])
def test_keep_versions_out_of_bounds_is_one_line(tmp_path, value):
    # 0 keeps all; at most 10,000 image versions per subscription and region (Learn, Azure Compute Gallery, Limits)
    with pytest.raises(InputError) as caught:
        load_config(write_config(tmp_path, value))
    (problem,) = caught.value.problems
    assert problem.path == "gallery.images[0].keep_versions" and "\n" not in str(problem)
    assert ("0" if value < 0 else "10000") in problem.message


@pytest.mark.parametrize("value", [0, 10000])
def test_keep_versions_at_its_bounds_is_accepted(tmp_path, value):
    assert load_config(write_config(tmp_path, value)).gallery.images[0].keep_versions == value


# --- in the deploy and its plan (stand-in stacks, real terraform) --------------------------------------


def test_the_images_stage_deletes_beyond_keep_versions_and_says_so(workspace, terraform, captured, deploy_config):
    from tests.deploy.test_deploy_scenarios import make_deployment

    with ArmStandIn(build_duration=0.2) as arm:
        seed(arm, deploy_config, [f"0.0.{n}" for n in range(1, 7)])  # six old versions; the default keeps 5
        report = make_deployment(workspace, terraform, captured, arm, deploy_config).deploy(["gallery", "images"])
    first, second = report.to_json()["images"]
    assert (first["name"], first["outcome"]) == ("ubuntu-22.04", "built")
    assert first["retention"]["deleted"] == ["0.0.2", "0.0.1"] and first["retention"]["warnings"] == []
    assert second["retention"]["deleted"] == []  # its one version is its newest
    output = captured.text
    assert "ubuntu-22.04: deleted 2 old version(s) (keep_versions 5): 0.0.2, 0.0.1" in output
    assert "built ubuntu-22.04, ubuntu-24.04; deleted 2 old image version(s)" in output


def test_the_images_plan_lists_what_a_build_would_delete_and_deletes_nothing(workspace, terraform, captured, deploy_config, tmp_path):
    from mdpool.deploy.saved_plan import plan_images_stage
    from tests.deploy.test_deploy_scenarios import make_deployment

    with ArmStandIn(build_duration=0.2) as arm:
        dep = make_deployment(workspace, terraform, captured, arm, deploy_config)
        dep.deploy(["gallery"])
        seed(arm, deploy_config, [f"0.0.{n}" for n in range(1, 7)])
        dep = make_deployment(workspace, terraform, captured, arm, deploy_config)
        seen = len(arm.requests)
        plan_dir = tmp_path / "plan-images"
        plan_images_stage(dep, plan_dir, command="mdpool deploy --plan DIR")
        assert all(r.method == "GET" for r in arm.requests[seen:])  # a plan changes nothing in Azure
        assert len(arm.image_versions(deploy_config.names.gallery_image_id(IMAGE))) == 6
    retention = dep.report.to_json()["images"][0]["retention"]
    # the build adds the newest version, so 4 of the 6 old ones stay with it
    assert retention["delete"] == ["0.0.2", "0.0.1"] and retention["deleted"] == []
    why = {v["version"]: v["kept_because"] for v in retention["versions"]}
    assert why["0.0.6"] == ["among the newest 5"] and why["0.0.2"] == []
    assert "ubuntu-22.04: would delete 2 old version(s) (keep_versions 5): 0.0.2, 0.0.1" in captured.text
    assert "- ubuntu-22.04: `0.0.2`, `0.0.1`" in (plan_dir / "summary.md").read_text()


def test_a_version_another_image_is_built_on_stays(arm, tmp_path):
    # issue 18 item 5: a `build.source` pinning a version of this image, and a running build starting from one
    text = write_config(tmp_path, 1).read_text(encoding="utf-8")
    child = """\
    - name: child
      os_type: Linux
      identifier: {publisher: JHP, offer: Child, sku: 22.04-LTS}
      build:
        definition: agent.json.j2
        source: {gallery_image: ubuntu-22.04, version: 0.0.3}
devops_infrastructure_principal_id:"""
    (path := tmp_path / "env.yaml").write_text(text.replace("devops_infrastructure_principal_id:", child, 1), encoding="utf-8")
    cfg = load_config(path)
    image_id = seed(arm, cfg, ["0.0.3", "0.0.4", "0.0.5", "0.0.6"])
    template = {
        "location": "westeurope",
        "properties": {
            "source": {"type": "SharedImageVersion", "imageVersionId": f"{image_id}/versions/0.0.4"},
            "distribute": [{"type": "SharedImage", "galleryImageId": cfg.names.gallery_image_id("child"), "runOutputName": "x"}],
        },
    }
    arm.add_template(cfg.names.gallery_resource_group, "child-build", template, run_state="Running", build_duration=60)

    retention = tidy(cfg, arm)

    why = {d["version"]: d["kept_because"] for d in retention.to_json()["versions"]}
    assert why["0.0.3"] == ["pinned by image child (build.source)"]
    assert why["0.0.4"] == ["the source of the running build child-build"]
    assert retention.deleted == ["0.0.5"]
