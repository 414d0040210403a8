"""The order gallery -> image build -> pool, held by Terraform itself, whoever runs it.

For each gallery image a pool uses, the pool stack lists the image's versions and keeps the names
of those that succeeded; a `lifecycle.precondition` on the pool refuses to plan when there is none
(or not the pinned one), with one line naming the image and what to run. So `cdktn deploy`, plain
`terraform apply` or another CI system cannot create a pool on an image with no version.

Why a list and not `azurerm_shared_image_versions`: that data source fails its own read with
"unable to find any images" when an image has no version (terraform-provider-azurerm
internal/services/compute/shared_image_versions_data_source.go and its tagsFilterError test), which
blocks the plan with a message that names neither the image nor the fix. `azapi_resource_list`
returns an empty list instead, and the precondition says what to do.

The versions list itself fails ("Failed to list resources", a 404) when the image definition is
gone (deleted outside Terraform, or the gallery stack not applied since the image was added). So the
gallery's definitions are listed first, and a precondition on the versions list, which Terraform
checks before it reads a data source, names the missing definition and the stage that makes it.
"""

from __future__ import annotations

from typing import Any

from cdktn import Fn, Op, Precondition, Token
from constructs import Construct

from mdpool.terraform_literal import expression_string

# Gallery image definitions and versions, Compute API (Azure/azure-rest-api-specs compute GalleryRP 2024-03-03).
DEFINITIONS_TYPE = "Microsoft.Compute/galleries/images@2024-03-03"
VERSIONS_TYPE = "Microsoft.Compute/galleries/images/versions@2024-03-03"
SUCCEEDED_QUERY = "value[?properties.provisioningState=='Succeeded'].name"
NAMES_QUERY = "value[].name"


def guard_condition(succeeded_versions: Any, version: str) -> Any:
    """True when a usable version exists: any for `latest`, else the pinned one.

    `version`, like the other texts here, is escaped for Terraform (mdpool.terraform_literal).
    """
    if version == "latest":
        return Op.gt(Fn.length_of(succeeded_versions), 0)
    return Fn.contains(succeeded_versions, expression_string(version))


def guard_message(image: str, version: str) -> str:
    wanted = "no Succeeded version" if version == "latest" else f"no Succeeded version {version}"
    return (
        f"gallery image {image} has {wanted} yet; run `mdpool images build {image}` "
        "(or the images stage of `mdpool deploy`), then plan the pool stack again"
    )


def image_precondition(image: str, version: str, succeeded_versions: Any) -> Precondition:
    return Precondition(condition=guard_condition(succeeded_versions, version), error_message=guard_message(image, version))


def definition_message(image: str, gallery: str) -> str:
    return (
        f"gallery image {image} has no image definition in gallery {gallery}; apply the gallery stage "
        "(`mdpool deploy --stage gallery`), then build the image and plan the pool stack again"
    )


def definition_precondition(image: str, gallery: str, definition_names: Any) -> Precondition:
    """True when the gallery lists a definition named `image` (Azure compares names ignoring case)."""
    lowered = Fn.lower(Fn.join(",", Token.as_list(definition_names)))
    return Precondition(
        condition=Fn.contains(Fn.split(",", lowered), expression_string(image.lower())),
        error_message=definition_message(image, gallery),
    )


class GalleryDefinitions(Construct):
    """The names of a gallery's image definitions, read at plan time."""

    def __init__(self, scope: Construct, id: str, *, gallery_id: str) -> None:
        from cdktn_provider_azapi.data_azapi_resource_list import DataAzapiResourceList

        super().__init__(scope, id)
        self.data = DataAzapiResourceList(
            self, "definitions", type=DEFINITIONS_TYPE, parent_id=gallery_id, response_export_values={"names": NAMES_QUERY}
        )

    @property
    def names(self) -> Any:
        return self.data.interpolation_for_attribute("output.names")


class GalleryVersions(Construct):
    """The names of an image definition's versions that succeeded, read at plan time."""

    def __init__(self, scope: Construct, id: str, *, definition_id: str, preconditions: list[Precondition] | None = None) -> None:
        # Imported here: the stand-in tests use the guard above without loading provider bindings.
        from cdktn import TerraformResourceLifecycle
        from cdktn_provider_azapi.data_azapi_resource_list import DataAzapiResourceList

        super().__init__(scope, id)
        self.data = DataAzapiResourceList(
            self,
            "versions",
            type=VERSIONS_TYPE,
            parent_id=definition_id,
            response_export_values={"succeeded": SUCCEEDED_QUERY},
            lifecycle=TerraformResourceLifecycle(precondition=preconditions) if preconditions else None,
        )

    @property
    def succeeded(self) -> Any:
        return self.data.interpolation_for_attribute("output.succeeded")
