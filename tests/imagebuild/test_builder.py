"""The build flow against the loopback ARM stand-in, through the real azure-mgmt-imagebuilder client."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from pathlib import Path

import pytest

from mdpool.imagebuild.builder import (
    BUILT,
    DETACHED,
    FAILED,
    REATTACHED,
    SKIPPED,
    BuildOptions,
    Connection,
    Progress,
    build_images,
)
from mdpool.imagebuild.images import ImageSpec, load_definition
from mdpool.imagebuild.template import CONTENT_HASH_TAG, content_hash, image_template
from mdpool.problems import InputError
from tests.imagebuild.conftest import QUICK_IMAGE, RG, gallery_image_id, make_spec

TEMPLATE = "it-ubuntu-22.04"
TEMPLATE_PATH = rf"/imageTemplates/{TEMPLATE}$"
OPTIONS = BuildOptions(poll_interval=0.02, auth_retry_interval=0.05, auth_retry_window=5.0, watch_margin=30)


def connection(arm) -> Connection:
    """Production client settings (retries on, the production retry policy); only the waits are shorter."""
    kwargs = {"polling_interval": 0.01, "retry_backoff_factor": 0.01, "retry_backoff_max": 0.1}
    return Connection(arm.credential, arm.base_url, arm.ca_file, kwargs)


def build(arm, specs: list[ImageSpec], *, options: BuildOptions = OPTIONS, conn: Connection | None = None, **kwargs):
    for spec in specs:
        arm.add_gallery_image(spec.settings.gallery_image_id)
    return build_images(specs=specs, connection=conn or connection(arm), options=options, **kwargs)


@pytest.fixture
def spec(quick_definition: Path) -> ImageSpec:
    return make_spec(quick_definition)


def digest_of(spec: ImageSpec) -> str:
    return content_hash(load_definition(spec), spec.settings.source)


def paths(arm, method: str, regex: str = "") -> list[str]:
    return [r.path for r in arm.requests_matching(method, regex)]


def test_success_creates_runs_watches_and_reports_the_version(arm, spec):
    seen: list[Progress] = []
    (result,) = build(arm, [spec], on_progress=seen.append)
    (version,) = arm.image_versions(gallery_image_id("ubuntu-22.04"))
    assert result.status == BUILT and result.ok and result.version_id == version["id"]
    assert version["tags"][CONTENT_HASH_TAG] == digest_of(spec) and version["tags"]["env"] == "test"
    assert result.duration >= 0.3 and result.run_state == "Succeeded" and result.log_url is None
    phases = [p.phase for p in seen]
    assert phases[0] == "checking" and "creating" in phases and "starting" in phases and phases[-1] == "built"
    assert {p.sub_state for p in seen if p.phase == "running"} >= {"Queued", "Distributing"} - {None} or any(
        p.run_state == "Running" for p in seen
    )
    template_calls = arm.requests_matching("*", "imageTemplates")
    assert {r.query["api-version"] for r in template_calls} == {"2025-10-01"}
    assert {r.query.get("api-version") for r in arm.requests_matching("GET", r"/versions$")} == {"2024-03-03"}
    (put,) = [r for r in template_calls if r.method == "PUT"]
    assert put.body["properties"]["distribute"][0]["runOutputName"].startswith("aib-")
    assert len(paths(arm, "POST", r"/run$")) == 1 and paths(arm, "GET", r"/runOutputs/aib-\d{14}$")


def test_failure_reports_state_message_and_the_customization_log(arm, spec):
    arm.script_build(TEMPLATE, outcome="Failed", duration=0.1)
    (result,) = build(arm, [spec])
    assert result.status == FAILED and not result.ok and result.run_state == "Failed"
    assert result.log_url == arm.log_url(RG, TEMPLATE)
    assert "Packer build command has failed" in result.message
    assert arm.image_versions(gallery_image_id("ubuntu-22.04")) == []


def test_throttling_is_retried_after_the_servers_retry_after(arm, spec):
    put_throttle = arm.throttle("PUT", TEMPLATE_PATH, times=2, retry_after=0.25)
    list_throttle = arm.throttle("GET", r"/versions$", times=1, retry_after=0.1)
    (result,) = build(arm, [spec])
    assert result.status == BUILT
    assert put_throttle.hits == 2 and list_throttle.hits == 1
    puts = arm.requests_matching("PUT", TEMPLATE_PATH)
    assert [r.status for r in puts] == [429, 429, 201]
    assert puts[1].at - puts[0].at >= 0.24 and puts[2].at - puts[1].at >= 0.24  # waited as told


def methods_after_the_create(arm) -> list[tuple[str, str, int]]:
    return [
        (r.method, r.path.rsplit("/", 1)[-1], r.status)
        for r in arm.requests
        if "imageTemplates" in r.path and r.method in ("PUT", "POST", "GET")
    ]


def test_the_production_client_never_re_sends_a_put_or_post_by_itself(arm):
    from mdpool.imagebuild.arm_retry import NoResendRetryPolicy

    with Connection(arm.credential).client("sub") as client:  # as `mdpool images build` makes it
        assert isinstance(client._config.retry_policy, NoResendRetryPolicy)
        assert client._config.retry_policy.total_retries == 10  # azure-core's default: retries stay on


def test_504_on_run_that_did_not_start_it_is_asked_again_after_checking(arm, spec):
    arm.fail("POST", r"/run$", 504, times=2)
    (result,) = build(arm, [spec])
    assert result.status == BUILT
    assert [r.status for r in arm.requests_matching("POST", r"/run$")] == [504, 504, 202]
    calls = methods_after_the_create(arm)
    first_504 = calls.index(("POST", "run", 504))
    assert calls[first_504 + 1][0] == "GET"  # looked whether the run started before asking again
    assert len(arm.image_versions(gallery_image_id("ubuntu-22.04"))) == 1


def test_504_after_the_run_started_is_not_run_twice(arm, spec):
    arm.fail("POST", r"/run$", 504, times=1, process=True)  # the gateway timed out, the build started
    (result,) = build(arm, [spec])
    assert result.status == BUILT
    assert len(arm.requests_matching("POST", r"/run$")) == 1
    assert len(arm.image_versions(gallery_image_id("ubuntu-22.04"))) == 1


def test_504_after_the_create_went_through_is_not_put_twice(arm, spec):
    arm.fail("PUT", TEMPLATE_PATH, 504, times=1, process=True)  # the gateway timed out, the template exists
    (result,) = build(arm, [spec])
    assert result.status == BUILT
    assert [r.status for r in arm.requests_matching("PUT", TEMPLATE_PATH)] == [504]  # no 409 from a blind re-send
    assert len(arm.requests_matching("POST", r"/run$")) == 1


def test_504_on_a_create_that_did_not_happen_is_put_again_after_checking(arm, spec):
    arm.fail("PUT", TEMPLATE_PATH, 504, times=2)
    (result,) = build(arm, [spec])
    assert result.status == BUILT
    assert [r.status for r in arm.requests_matching("PUT", TEMPLATE_PATH)] == [504, 504, 201]
    calls = methods_after_the_create(arm)
    assert calls[calls.index(("PUT", TEMPLATE, 504)) + 1] == ("GET", TEMPLATE, 404)


def test_a_create_whose_answer_was_lost_and_whose_provisioning_failed_is_removed_and_put_again(arm, spec):
    arm.fail("PUT", TEMPLATE_PATH, 504, times=1, process=True)
    arm.fail_provisioning(TEMPLATE, times=1, code="InternalOperationError", message="transient")
    (result,) = build(arm, [spec])
    assert result.status == BUILT
    methods = [r.method for r in arm.requests_matching("*", TEMPLATE_PATH) if r.method in ("PUT", "DELETE")]
    assert methods == ["PUT", "DELETE", "PUT"]


def test_a_409_counts_as_created_only_for_a_template_with_this_builds_content(arm, spec):
    definition = load_definition(spec)
    someone_elses = image_template(definition, spec.settings, run_output="aib-1", digest="e" * 64)

    def conflict_after_someone_created_it(request):
        arm.add_template(RG, TEMPLATE, someone_elses)
        return 409, {}, {"error": {"code": "Conflict", "message": "exists"}}

    arm.route("PUT", TEMPLATE_PATH, conflict_after_someone_created_it)
    (result,) = build(arm, [spec])
    assert result.status == FAILED and "exists with other content" in result.message
    assert not arm.requests_matching("POST", r"/run$")


def test_a_409_after_our_own_create_went_through_counts_as_created(arm, spec):
    def conflict_with_our_own_template(request):
        arm.add_template(RG, TEMPLATE, request.body)  # e.g. an earlier attempt that the gateway timed out
        return 409, {}, {"error": {"code": "Conflict", "message": "exists"}}

    arm.route("PUT", TEMPLATE_PATH, conflict_with_our_own_template)
    (result,) = build(arm, [spec])
    assert result.status == BUILT and len(arm.requests_matching("POST", r"/run$")) == 1


def test_a_504_on_cancel_after_the_cancel_went_through_is_not_sent_again(arm, spec):
    old = image_template(load_definition(spec), spec.settings, run_output="aib-1", digest="0" * 64)
    arm.add_template(RG, TEMPLATE, old, run_state="Running", build_duration=60)
    arm.fail("POST", r"/cancel$", 504, times=1, process=True)
    (result,) = build(arm, [spec])
    assert result.status == BUILT
    assert [r.status for r in arm.requests_matching("POST", r"/cancel$")] == [504]


def test_reads_are_still_retried_by_azure_core(arm, spec):
    arm.fail("GET", r"/versions$", 503, times=2)
    (result,) = build(arm, [spec])
    assert result.status == BUILT
    assert [r.status for r in arm.requests_matching("GET", r"/versions$")] == [503, 503, 200]


def test_authorization_failures_right_after_the_role_assignment_are_retried(arm, spec):
    denied = arm.deny_authorization("PUT", TEMPLATE_PATH, times=3)
    seen: list[Progress] = []
    (result,) = build(arm, [spec], on_progress=seen.append)
    assert result.status == BUILT and denied.hits == 3
    assert [r.status for r in arm.requests_matching("PUT", TEMPLATE_PATH)] == [403, 403, 403, 201]
    waiting = [p for p in seen if p.phase == "waiting"]
    assert waiting and "AuthorizationFailed" in waiting[0].message


def test_an_authorization_failure_inside_the_create_operation_is_retried_after_removing_the_failed_template(arm, spec):
    arm.fail_provisioning(
        TEMPLATE,
        times=1,
        code="AuthorizationFailed",
        message="The client does not have authorization to perform action 'Microsoft.Compute/galleries/images/versions/read'",
    )
    (result,) = build(arm, [spec])
    assert result.status == BUILT
    methods = [r.method for r in arm.requests_matching("*", TEMPLATE_PATH) if r.method in ("PUT", "DELETE")]
    assert methods == ["PUT", "DELETE", "PUT"]


def test_an_authorization_failure_on_the_gallery_is_retried_too(arm, spec):
    arm.add_image_version(gallery_image_id("ubuntu-22.04"), "1.0.0", tags={CONTENT_HASH_TAG: digest_of(spec)})
    arm.deny_authorization("GET", r"/versions$", times=2)
    (result,) = build(arm, [spec])
    assert result.status == SKIPPED
    assert [r.status for r in arm.requests_matching("GET", r"/versions$")] == [403, 403, 200]


def test_the_authorization_retry_window_is_bounded(arm, spec):
    arm.deny_authorization("PUT", TEMPLATE_PATH, times=1000)
    options = BuildOptions(poll_interval=0.02, auth_retry_interval=0.05, auth_retry_window=0.4)
    started = time.monotonic()
    (result,) = build(arm, [spec], options=options)
    assert result.status == FAILED and "AuthorizationFailed" in result.message
    assert time.monotonic() - started < 5
    assert 3 <= len(arm.requests_matching("PUT", TEMPLATE_PATH)) <= 20


def test_a_running_build_of_the_same_content_is_reattached(arm, spec):
    definition = load_definition(spec)
    body = image_template(definition, spec.settings, run_output="aib-20250101000000")
    arm.add_template(RG, TEMPLATE, body, run_state="Running", build_duration=0.4)
    (result,) = build(arm, [spec])
    assert result.status == REATTACHED and result.ok
    assert result.version_id == arm.image_versions(gallery_image_id("ubuntu-22.04"))[0]["id"]
    assert paths(arm, "GET", r"/runOutputs/aib-20250101000000$")
    assert not [r for r in arm.requests if r.method in ("PUT", "DELETE", "POST")]


def test_a_running_old_build_is_canceled_its_log_recorded_then_replaced(arm, spec):
    definition = load_definition(spec)
    old = image_template(definition, spec.settings, run_output="aib-20240101000000", digest="0" * 64)
    arm.add_template(RG, TEMPLATE, old, run_state="Running", build_duration=60)
    seen: list[Progress] = []
    (result,) = build(arm, [spec], on_progress=seen.append)
    assert result.status == BUILT
    order = [(r.method, r.path.rsplit("/", 1)[-1]) for r in arm.requests if r.method in ("POST", "DELETE", "PUT")]
    assert order == [("POST", "cancel"), ("DELETE", TEMPLATE), ("PUT", TEMPLATE), ("POST", "run")]
    assert result.previous_log and "packerlogs" in result.previous_log  # recorded before the delete removed it
    assert any(p.phase == "canceling" for p in seen)
    assert any(p.phase == "deleting" and result.previous_log in p.message for p in seen)


def test_a_failed_old_template_keeps_its_log_url(arm, spec):
    old = image_template(load_definition(spec), spec.settings, run_output="aib-1", digest="1" * 64)
    arm.add_template(
        RG,
        TEMPLATE,
        old,
        run_state="Failed",
        message="... Image Build log location: "
        "https://stx.blob.core.windows.net/packerlogs/abc/customization.log. OperationId: x",
    )
    (result,) = build(arm, [spec])
    assert result.status == BUILT
    assert result.previous_log == "https://stx.blob.core.windows.net/packerlogs/abc/customization.log"


def test_an_image_whose_content_already_has_a_version_is_skipped(arm, spec):
    arm.versions_page_size = 1
    image = gallery_image_id("ubuntu-22.04")
    arm.add_image_version(image, "1.0.0", tags={CONTENT_HASH_TAG: "f" * 64})
    arm.add_image_version(image, "1.0.1", tags={})
    wanted = arm.add_image_version(image, "1.0.2", tags={CONTENT_HASH_TAG: digest_of(spec)})
    (result,) = build(arm, [spec])
    assert result.status == SKIPPED and result.ok and result.version_id == wanted
    assert len(arm.requests_matching("GET", r"/versions$")) == 3  # followed nextLink to the third page
    assert not arm.requests_matching("*", "imageTemplates")


def test_force_rebuilds_an_unchanged_image(arm, spec):
    arm.add_image_version(gallery_image_id("ubuntu-22.04"), "1.0.0", tags={CONTENT_HASH_TAG: digest_of(spec)})
    (result,) = build_images(specs=[spec], connection=connection(arm), options=OPTIONS, force=True)
    assert result.status == BUILT and len(arm.image_versions(gallery_image_id("ubuntu-22.04"))) == 2
    assert not arm.requests_matching("GET", r"/versions$")


def test_four_images_in_parallel_take_about_as_long_as_one(arm, quick_definition):
    arm.build_duration = 1.0
    specs = [make_spec(quick_definition, name) for name in ("a", "b", "c", "d")]
    started = time.monotonic()
    results = build(arm, specs, options=BuildOptions(poll_interval=0.05, parallel=4))
    elapsed = time.monotonic() - started
    assert [r.status for r in results] == [BUILT] * 4 and [r.image for r in results] == ["a", "b", "c", "d"]
    assert all(r.duration >= 1.0 for r in results)
    assert elapsed < 2.8, elapsed  # one after another would take over 4 s
    runs = sorted(r.at for r in arm.requests_matching("POST", r"/run$"))
    assert runs[-1] - runs[0] < 0.8  # all four started together


def test_parallel_one_builds_one_after_another(arm, quick_definition):
    arm.build_duration = 0.3
    specs = [make_spec(quick_definition, name) for name in ("a", "b")]
    results = build(arm, specs, options=BuildOptions(poll_interval=0.02, parallel=1))
    assert [r.status for r in results] == [BUILT, BUILT]
    first, second = sorted(r.at for r in arm.requests_matching("POST", r"/run$"))
    assert second - first >= 0.3


def test_transient_errors_while_polling_are_tolerated(arm, spec):
    arm.fail("GET", TEMPLATE_PATH, 500, times=3, after=2)
    (result,) = build(arm, [spec])
    assert result.status == BUILT
    assert [r.status for r in arm.requests_matching("GET", TEMPLATE_PATH)].count(500) == 3


def test_too_many_failed_status_checks_give_up_with_a_reattach_hint(arm, spec):
    arm.fail("GET", TEMPLATE_PATH, 503, times=100, after=2)
    options = BuildOptions(poll_interval=0.01, transient_retries=3)
    (result,) = build(arm, [spec], options=options)
    assert result.status == FAILED and "lost track of the build after 4 failed status checks" in result.message
    assert "mdpool images build ubuntu-22.04" in result.message


def test_stopping_detaches_without_canceling(arm, spec):
    arm.build_duration = 30
    stop = threading.Event()

    def on_progress(progress: Progress) -> None:
        if progress.phase == "running":
            stop.set()

    (result,) = build(arm, [spec], on_progress=on_progress, stop=stop)
    assert result.status == DETACHED and not result.ok
    assert "Reattach with: mdpool images build ubuntu-22.04" in result.message
    assert not arm.requests_matching("POST", r"/cancel$")
    assert arm.template(RG, TEMPLATE)["properties"]["lastRunStatus"]["runState"] == "Running"


def test_after_stop_a_queued_image_is_not_started(arm, quick_definition):
    arm.build_duration = 30
    stop = threading.Event()

    def on_progress(progress: Progress) -> None:
        if progress.phase == "running":
            stop.set()

    specs = [make_spec(quick_definition, "first"), make_spec(quick_definition, "second")]
    first, second = build(arm, specs, options=BuildOptions(poll_interval=0.02, parallel=1), on_progress=on_progress, stop=stop)
    assert first.status == DETACHED and second.status == DETACHED
    assert "stopped before the build started (while queued)" in second.message
    assert len(arm.requests_matching("PUT", "")) == 1 and not arm.requests_matching("*", "it-second")


def test_a_build_canceled_elsewhere_is_a_failure(arm, spec):
    arm.script_build(TEMPLATE, outcome="Canceled", duration=0.1)
    (result,) = build(arm, [spec])
    assert result.status == FAILED and result.run_state == "Canceled" and "canceled" in result.message


def test_a_missing_gallery_image_definition_says_to_deploy_the_gallery_first(arm, spec):
    (result,) = build_images(specs=[spec], connection=connection(arm), options=OPTIONS)
    assert result.status == FAILED and "deploy the gallery stack first" in result.message
    assert not arm.requests_matching("*", "imageTemplates")


def test_bad_definitions_stop_everything_before_azure_is_called(arm, tmp_path, spec):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**QUICK_IMAGE, "Customizers": [{"ShellCustomizer": True, "Inlin": ["x"]}]}))
    with pytest.raises(InputError) as error:
        build(arm, [spec, make_spec(bad, "bad")])
    assert "did you mean 'Inline'" in str(error.value)
    assert arm.requests == []


@pytest.mark.parametrize("state", ["Failed", "Creating", "Deleting"])
def test_a_version_with_this_content_that_did_not_succeed_does_not_count(arm, spec, state):
    image = gallery_image_id("ubuntu-22.04")
    arm.add_image_version(image, "1.0.0", tags={CONTENT_HASH_TAG: digest_of(spec)}, provisioning_state=state)
    (result,) = build(arm, [spec])
    assert result.status == BUILT and result.version_id != f"{image}/versions/1.0.0"
    assert len(arm.requests_matching("POST", r"/run$")) == 1


def test_an_arm64_image_is_built_on_an_arm64_size_without_boot_optimization(arm, quick_definition):
    from mdpool.validate.architecture import default_build_vm_size

    base = make_spec(quick_definition)
    settings = dataclasses.replace(base.settings, architecture="Arm64", vm_size=default_build_vm_size("Arm64"))
    (result,) = build(arm, [dataclasses.replace(base, settings=settings)])
    assert result.status == BUILT
    (put,) = arm.requests_matching("PUT", TEMPLATE_PATH)
    assert put.body["properties"]["vmProfile"]["vmSize"] == "Standard_D4ps_v5"
    assert "optimize" not in put.body["properties"]


def test_a_put_whose_answer_was_lost_is_not_re_sent_by_azure_core(arm, spec):
    # azure-core's RetryPolicy re-sends a PUT after a lost response (PUT is in its method allow-list);
    # NoResendRetryPolicy leaves it to the builder, which finds the template made and does not PUT again.
    arm.lose_answer("PUT", TEMPLATE_PATH, process=True)
    (result,) = build(arm, [spec])
    assert result.status == BUILT
    assert len(arm.requests_matching("PUT", TEMPLATE_PATH)) == 1
    assert len(arm.requests_matching("POST", r"/run$")) == 1


def test_a_run_whose_answer_was_lost_is_not_started_twice(arm, spec):
    arm.lose_answer("POST", r"/run$", process=True)
    (result,) = build(arm, [spec])
    assert result.status == BUILT
    assert len(arm.requests_matching("POST", r"/run$")) == 1
    assert len(arm.image_versions(gallery_image_id("ubuntu-22.04"))) == 1


def test_a_408_on_the_create_is_unclear_like_a_5xx(arm, spec):
    # azure-core's RetryPolicy counts 408 among the statuses worth another try (retry_on_status_codes);
    # for a PUT the builder looks first: not created, so it is put again
    arm.fail("PUT", TEMPLATE_PATH, 408, times=1)
    (result,) = build(arm, [spec])
    assert result.status == BUILT
    assert [r.status for r in arm.requests_matching("PUT", TEMPLATE_PATH)] == [408, 201]
