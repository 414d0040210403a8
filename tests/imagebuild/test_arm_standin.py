"""The stand-in itself behaves like ARM for the real SDK clients (so other tests can trust it)."""

from __future__ import annotations

import time

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.rest import HttpRequest
from azure.mgmt.imagebuilder import ImageBuilderClient

from tests.support.arm_standin import ArmStandIn, StaticTokenCredential

RG = "rg-gallery"
GALLERY_IMAGE = (
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-gallery/providers/"
    "Microsoft.Compute/galleries/gal/images/ubuntu-22.04"
)


def _body(run_output: str = "aib-20250304000000") -> dict:
    return {
        "location": "westeurope",
        "identity": {"type": "UserAssigned", "userAssignedIdentities": {"/subscriptions/x/id": {}}},
        "properties": {
            "source": {"type": "PlatformImage", "publisher": "Canonical", "offer": "o", "sku": "s", "version": "latest"},
            "customize": [{"type": "Shell", "name": "hello", "inline": ["echo hi"]}],
            "distribute": [
                {"type": "SharedImage", "galleryImageId": GALLERY_IMAGE, "runOutputName": run_output, "artifactTags": {"k": "v"}}
            ],
        },
    }


@pytest.fixture
def arm():
    with ArmStandIn(build_duration=0.2) as arm:
        yield arm


@pytest.fixture
def client(arm):
    with ImageBuilderClient(arm.credential, arm.subscription_id, **arm.client_kwargs()) as client:
        yield client


def test_create_run_and_produce_a_gallery_version(arm, client):
    ops = client.virtual_machine_image_templates
    with pytest.raises(ResourceNotFoundError):
        ops.get(RG, "tpl")
    created = ops.begin_create_or_update(RG, "tpl", _body()).result()
    assert created.properties.provisioning_state == "Succeeded"
    ops.begin_run(RG, "tpl").result()  # the run LRO lasts as long as the build
    template = ops.get(RG, "tpl")
    assert template.properties.last_run_status.run_state == "Succeeded"
    output = ops.get_run_output(RG, "tpl", "aib-20250304000000")
    versions = arm.image_versions(GALLERY_IMAGE)
    assert [v["id"] for v in versions] == [output.properties.artifact_id]
    assert versions[0]["tags"] == {"k": "v"}
    assert all(r.query.get("api-version") == "2025-10-01" for r in arm.requests_matching("*", "imageTemplates"))


def test_put_over_existing_template_is_refused_and_delete_while_running_conflicts(arm, client):
    ops = client.virtual_machine_image_templates
    arm.add_template(RG, "tpl", _body(), run_state="Running", build_duration=5)
    with pytest.raises(HttpResponseError) as put_error:
        ops.begin_create_or_update(RG, "tpl", _body())
    assert put_error.value.status_code == 409
    with pytest.raises(HttpResponseError) as delete_error:
        ops.begin_delete(RG, "tpl")
    assert delete_error.value.status_code == 409
    ops.begin_cancel(RG, "tpl").result()
    time.sleep(0.15)
    assert ops.get(RG, "tpl").properties.last_run_status.run_state == "Canceled"
    ops.begin_delete(RG, "tpl").result()
    assert arm.template(RG, "tpl") is None


def test_faults_throttle_and_authorization(arm, client):
    ops = client.virtual_machine_image_templates
    throttle = arm.throttle("GET", r"/imageTemplates/tpl$", times=2, retry_after=0.1)
    arm.add_template(RG, "tpl", _body())
    started = time.monotonic()
    assert ops.get(RG, "tpl").name == "tpl"
    assert throttle.hits == 2 and time.monotonic() - started >= 0.2
    arm.deny_authorization("GET", r"/imageTemplates/tpl$", times=1)
    with pytest.raises(HttpResponseError) as denied:
        ops.get(RG, "tpl")
    assert denied.value.status_code == 403 and denied.value.error.code == "AuthorizationFailed"


def test_failed_build_message_carries_the_log_url(arm, client):
    ops = client.virtual_machine_image_templates
    arm.script_build("tpl", outcome="Failed", duration=0.05)
    ops.begin_create_or_update(RG, "tpl", _body()).result()
    with pytest.raises(HttpResponseError):
        ops.begin_run(RG, "tpl").result()
    status = ops.get(RG, "tpl").properties.last_run_status
    assert status.run_state == "Failed" and arm.log_url(RG, "tpl") in status.message


def test_gallery_versions_are_paged_and_need_the_token(arm, client):
    arm.versions_page_size = 2
    for n in range(5):
        arm.add_image_version(GALLERY_IMAGE, name=f"1.0.{n}")
    url = f"{GALLERY_IMAGE}/versions"
    names = []
    while url:
        response = client.send_request(HttpRequest("GET", url, params={"api-version": "2024-03-03"}))
        response.raise_for_status()
        page = response.json()
        names += [v["name"] for v in page["value"]]
        url = page.get("nextLink")
    assert names == [f"1.0.{n}" for n in range(5)]
    with ImageBuilderClient(StaticTokenCredential("wrong"), arm.subscription_id, **arm.client_kwargs()) as bad:
        with pytest.raises(HttpResponseError):
            bad.virtual_machine_image_templates.get(RG, "tpl")


def test_provisioning_ends_without_polling_after_a_gateway_timeout(arm):
    from mdpool.imagebuild.arm_retry import NoResendRetryPolicy

    kwargs = arm.client_kwargs()
    with ImageBuilderClient(
        arm.credential, arm.subscription_id, retry_policy=NoResendRetryPolicy(**kwargs), **kwargs
    ) as client:  # mdpool's client: the PUT is not re-sent
        ops = client.virtual_machine_image_templates
        arm.fail("PUT", r"/imageTemplates/tpl$", 504, process=True)
        with pytest.raises(HttpResponseError) as error:
            ops.begin_create_or_update(RG, "tpl", _body()).result()
        assert error.value.status_code == 504
        assert ops.get(RG, "tpl").properties.provisioning_state == "Creating"  # as Azure: still being created
        assert ops.get(RG, "tpl").properties.provisioning_state == "Succeeded"  # then done, though nobody polled
