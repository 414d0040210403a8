"""The images stage of `mdpool deploy` with `rollout.strategy: canary`: builds on the ARM stand-in publish
held back from latest, then each goes through its canary (or, before the pool exists, straight in)."""

from __future__ import annotations

from mdpool.deploy.images import ImageBuildStage
from mdpool.deploy.orchestrator import Deployment, SynthOutput
from mdpool.imagebuild.builder import BuildOptions
from mdpool.rollout.deploy_stage import roll_out_built
from tests.deploy.test_stages import STANDIN_POLICY
from tests.rollout.conftest import IMAGE, ORGANIZATION


def full_deployment(world, stack, runner) -> Deployment:
    builds = ImageBuildStage(
        stack.cfg,
        connection=stack.connection,
        options=BuildOptions(poll_interval=0.05, auth_retry_window=2, auth_retry_interval=0.05),
        console=stack.console,
    )
    deployment = Deployment(
        SynthOutput.load(stack.out), stack.terraform, builds, console=stack.console, policy=STANDIN_POLICY
    )
    deployment.rollout = lambda built: roll_out_built(runner, built, deployment.pool_deployed)
    return deployment


def newest(world, image: str) -> dict:
    from mdpool.deploy.recycle import version_key

    image_id = world_cfg(world).names.gallery_image_id(image)
    return max(world.arm.image_versions(image_id), key=lambda v: version_key(v["name"]))


def world_cfg(world):
    from mdpool.loader import load_config

    return load_config(world.settings.config)


def test_a_first_deploy_has_no_pool_to_judge_a_canary_on_so_the_new_version_goes_straight_in(world):
    world.arm.build_duration = 0.2
    runner, close, stack = world.rollout()
    try:
        stack.synth()
        report = full_deployment(world, stack, runner).deploy()
    finally:
        close()
    assert report.result == "succeeded", report.errors
    built = newest(world, IMAGE)
    assert report.rollouts == [f"{IMAGE} {built['name']}: the pool is not deployed yet, so no canary: into latest"]
    assert built["properties"]["publishingProfile"]["excludeFromLatest"] is False
    assert world.devops.organizations[ORGANIZATION].runs == []


def test_a_deploy_that_builds_a_new_version_rolls_it_out_through_its_canary(deployed):
    world = deployed
    world.arm.build_duration = 0.2
    runner, close, stack = world.rollout()
    try:
        report = full_deployment(world, stack, runner).deploy(["images", "pool"])
    finally:
        close()
    assert report.result == "succeeded", report.errors
    built = newest(world, IMAGE)
    assert report.rollouts == [f"rollout of {IMAGE} {built['name']}: promoted"]
    assert built["properties"]["publishingProfile"]["excludeFromLatest"] is False
    (run,) = world.devops.organizations[ORGANIZATION].runs
    assert run.template_parameters == {"imageOverride": f"{IMAGE}-canary"}
    # the other image no pool follows at latest was published into latest, not rolled out
    assert newest(world, "ubuntu-24.04")["properties"]["publishingProfile"]["excludeFromLatest"] is False


def test_a_failed_canary_stops_the_deploy_naming_the_run(deployed):
    world = deployed
    world.arm.build_duration = 0.2
    next(iter(world.devops.organizations[ORGANIZATION].pipelines.values())).result = "failed"
    runner, close, stack = world.rollout()
    try:
        deployment = full_deployment(world, stack, runner)
        try:
            deployment.deploy(["images", "pool"])
        except Exception as error:  # DeployError, as the CLI gets it
            lines = error.lines
        else:
            raise AssertionError("the deploy went on after a failed canary")
    finally:
        close()
    report = deployment.report
    assert report.result == "failed" and report.ran == ["images"]  # the pool stage never ran
    assert "smoke run https://dev.azure.com/your-organization/build/_build/results?buildId=1000 failed" in lines[0]
    assert newest(world, IMAGE)["properties"]["publishingProfile"]["excludeFromLatest"] is True
