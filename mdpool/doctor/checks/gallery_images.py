"""Every gallery image the pool runs on has a version, or the deploy builds one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mdpool.doctor.http import Unchecked
from mdpool.doctor.model import CheckResult, failed, ok

if TYPE_CHECKING:
    from mdpool.config import EnvironmentConfig
    from mdpool.doctor.context import Context

NAME = "gallery-images"
CHEAP = False  # the deploy builds images itself; pages through every version


def applies(cfg: EnvironmentConfig) -> bool:
    return any(image.gallery_image for pool in cfg.pools for image in pool.images)


def run(ctx: Context) -> list[CheckResult]:
    from mdpool.imagebuild.builder import (
        GalleryImageNotFound,
        list_gallery_image_versions,
    )

    findings, problems, fixes = [], [], []
    wanted_versions = dict.fromkeys(  # every pool's gallery images, each (image, version) asked about once
        (image.gallery_image, image.version) for pool in ctx.cfg.pools for image in pool.images if image.gallery_image
    )
    for name, wanted in wanted_versions:
        image = ctx.cfg.image(name)
        if image.build is not None and wanted == "latest":
            findings.append(f"{name}: built by the deploy")
            continue
        image_id = ctx.names.gallery_image_id(name)
        try:
            # Gallery Image Versions - List By Gallery Image (learn.microsoft.com/rest/api/compute/gallery-image-versions)
            versions = list_gallery_image_versions(ctx.arm.client_for(image_id), image_id)
        except GalleryImageNotFound:
            versions = []
        except Exception as error:  # noqa: BLE001 - denied, unreachable: not checked
            raise Unchecked(f"could not list the versions of {name}: {error}") from None
        names = [
            str(v.get("name", ""))
            for v in versions
            if (v.get("properties") or {}).get("provisioningState") in (None, "Succeeded")
        ]
        if wanted == "latest" and names:
            findings.append(f"{name}: {len(names)} version(s)")
        elif wanted != "latest" and wanted in names:
            findings.append(f"{name}: version {wanted}")
        elif wanted == "latest":
            problems.append(f"{name} has no version and no build section")
            fixes.append(f"add a build section to gallery image {name}, or publish a version into it")
        else:
            problems.append(
                f"{name} has no version {wanted}" + (" (a build makes new versions, not this one)" if image.build else "")
            )
            fixes.append(f"set the pool image's version to latest or one of: {', '.join(names[-3:]) or 'none yet'}")
    if problems:
        return [failed(NAME, "; ".join(problems), "; ".join(fixes))]
    return [ok(NAME, "; ".join(findings))]
