"""The images stage's plan: which images a deploy would build, why, and with which content hash.

`mdpool plan --stage images [--save DIR]` lists every buildable image with its source resolved
(`latest` -> the marketplace's newest version, mdpool.imagebuild.source_version), its content hash,
and the outcome of the build's own up-to-date check run dry (mdpool.imagebuild.builder
`up_to_date_version`): up to date, or to build because it has no version yet, its definition
changed, or its marketplace source moved. `mdpool deploy --plan DIR` then builds exactly the images
the plan listed, from exactly the resolved sources, and refuses when an image's content no longer
has the planned hash (its definition changed after the approval).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from mdpool.deploy.errors import DeployError

if TYPE_CHECKING:
    from pathlib import Path

    from mdpool.config import EnvironmentConfig
    from mdpool.deploy.terraform import Output
    from mdpool.imagebuild.builder import Connection
    from mdpool.imagebuild.images import ImageSpec
    from mdpool.imagebuild.template import Source

NO_VERSION = "no version yet"
DEFINITION_CHANGED = "definition changed"
SOURCE_MOVED = "source moved"
FORCED = "forced"
BASE_REBUILT = "built on the new version of"


@dataclass(frozen=True)
class PlannedImage:
    """One image in the images stage's plan."""

    name: str
    build: bool
    reason: str  # "up to date", or why it is built: no version yet | definition changed | source moved ... | forced | built on ...
    content_hash: str
    """Of the image as it is built; for an image built on a base rebuilt first, with the base's `latest`
    (its version is known only after the base's build; the deploy checks the rest of the content)."""
    source: str  # publisher:offer:sku:version, or a gallery image version id; the version resolved
    configured_version: str  # what the config says (`latest` or a pinned version)
    version_id: str | None = None  # the up-to-date version, when there is one
    retention: dict[str, Any] | None = None  # a build's: the old versions it would delete, and why the rest stay

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "PlannedImage":
        return cls(
            name=str(data["name"]),
            build=bool(data["build"]),
            reason=str(data["reason"]),
            content_hash=str(data["content_hash"]),
            source=str(data["source"]),
            configured_version=str(data["configured_version"]),
            version_id=data.get("version_id"),
            retention=data.get("retention"),
        )


def aim_at_outputs(spec: "ImageSpec", outputs: Mapping[str, "Output"]) -> "ImageSpec":
    """The spec with the gallery stack's deployed ids, where the outputs have them."""
    settings = spec.settings
    definitions = outputs.get("image_definition_ids")
    changes = {}
    if definitions is not None and isinstance(definitions.value, dict) and definitions.value.get(spec.name):
        changes["gallery_image_id"] = definitions.value[spec.name]
    identity = outputs.get("builder_identity_id")
    if identity is not None and isinstance(identity.value, str) and identity.value:
        changes["identity_id"] = identity.value
    from mdpool.imagebuild.template import GallerySource

    base = spec.base_image  # built on another image of the config: its deployed definition too
    if base and definitions is not None and isinstance(definitions.value, dict) and definitions.value.get(base):
        source = settings.source
        assert isinstance(source, GallerySource)  # base_image: a gallery_image source
        changes["source"] = dataclasses.replace(source, image_version_id=f"{definitions.value[base]}/versions/{source.version}")
    if not changes:
        return spec
    return dataclasses.replace(spec, settings=dataclasses.replace(settings, **changes))


def plan_images(
    cfg: "EnvironmentConfig",
    gallery_outputs: Mapping[str, "Output"],
    connection: "Connection",
    force: bool = False,
    rollout_state: "Path | None" = None,
) -> list[PlannedImage]:
    """Every buildable image of `cfg`, aimed at the deployed gallery, with what a build would do and why.

    An image to build also carries its retention as the build would leave it (mdpool.deploy.retention,
    with the new version counted as the newest): the old versions it would delete, and why the others stay.
    """
    from mdpool.imagebuild.builder import BuildError
    from mdpool.imagebuild.chain import build_layers, built_here, resolve_independent
    from mdpool.imagebuild.images import image_specs, load_definition
    from mdpool.imagebuild.source_version import SourceError, resolve_specs
    from mdpool.imagebuild.template import settings_content_hash
    from mdpool.problems import InputError

    connection = connection.with_credential()
    configured = [aim_at_outputs(spec, gallery_outputs) for spec in image_specs(cfg)]
    try:
        # `latest` resolved now, except on a base built in this run (mdpool.imagebuild.chain)
        resolved = {spec.name: spec for spec in resolve_independent(configured, connection)}
        waiting = built_here(configured)
        by_name: dict[str, PlannedImage] = {}
        for layer in build_layers(configured):
            for before in layer:
                base = before.base_image
                if base is not None and before.name in waiting and by_name[base].build and before.settings.source.version.lower() == "latest":
                    # built on the version its base's build makes: hashed with `latest` until then
                    digest = settings_content_hash(load_definition(before), before.settings)
                    by_name[before.name] = PlannedImage(
                        before.name,
                        True,
                        f"{BASE_REBUILT} {base}",
                        digest,
                        before.settings.source.urn,
                        before.settings.source.version,
                        retention=_retention(cfg, before, connection, rollout_state),
                    )
                    continue
                spec = resolve_specs([before], connection)[0] if before.name in waiting else resolved[before.name]
                by_name[before.name] = _plan_one(cfg, before, spec, connection, force, rollout_state)
    except (SourceError, BuildError) as error:
        raise DeployError(str(error)) from None
    except InputError as error:
        raise DeployError([str(problem) for problem in error.problems]) from None
    return [by_name[spec.name] for spec in configured]


def _plan_one(
    cfg: "EnvironmentConfig", before: "ImageSpec", spec: "ImageSpec", connection: "Connection", force: bool, rollout_state: "Path | None"
) -> PlannedImage:
    """One image with its source resolved (`spec`; `before`: as configured): up to date, or why it is built."""
    from mdpool.imagebuild.builder import up_to_date_version
    from mdpool.imagebuild.images import load_definition
    from mdpool.imagebuild.template import settings_content_hash

    digest = settings_content_hash(load_definition(spec), spec.settings)
    source, configured_version = spec.settings.source.urn, before.settings.source.version
    existing = None if force else up_to_date_version(spec, connection)
    if existing:
        return PlannedImage(spec.name, False, "up to date", digest, source, configured_version, existing)
    reason = FORCED if force else _why(spec, before, connection)
    retention = _retention(cfg, spec, connection, rollout_state)
    return PlannedImage(spec.name, True, reason, digest, source, configured_version, retention=retention)


def _retention(cfg: "EnvironmentConfig", spec: "ImageSpec", connection: "Connection", rollout_state: "Path | None") -> dict[str, Any]:
    """What tidying after this image's build would delete (nothing is deleted now)."""
    from mdpool.deploy.retention import plan_retention

    with connection.client(spec.subscription_id) as client:
        return plan_retention(
            cfg,
            spec.name,
            client,
            gallery_image_id=spec.settings.gallery_image_id,
            resource_group=spec.resource_group,
            rollout_state=rollout_state,
            new_version=True,
            new_excluded=spec.settings.exclude_from_latest,
        ).to_json()


def _why(spec: "ImageSpec", configured: "ImageSpec", connection: "Connection") -> str:
    """Why an image without an up-to-date version is built: no version at all, a new source, or a new definition.

    A version built from this definition on an older marketplace version (or, before mdpool resolved
    `latest`, from the word `latest`) carries that source's content hash: finding one means the
    source moved; finding none means the definition (or another hashed input) changed.
    """
    from mdpool.imagebuild.images import load_definition
    from mdpool.imagebuild.source_version import with_source
    from mdpool.imagebuild.template import content_hash

    with connection.client(spec.subscription_id) as client:
        hashes = _built_hashes(client, spec.settings.gallery_image_id)
        if not hashes:
            return NO_VERSION
        source = configured.settings.source
        if source.version.lower() != "latest":
            return DEFINITION_CHANGED
        older = [source] + [
            source.with_version(v) for v in _source_versions(client, spec, source) if v != spec.settings.source.version
        ]
    for candidate in reversed(older):  # newest first: the version the last build most likely used
        # rendered with that version: a definition template may use {{ Version }}
        definition = load_definition(with_source(configured, candidate))
        if content_hash(definition, candidate, spec.settings.architecture, spec.settings.boot_optimization) in hashes:
            return f"{SOURCE_MOVED}: {candidate.version} -> {spec.settings.source.version}"
    return DEFINITION_CHANGED


def _source_versions(client: Any, spec: "ImageSpec", source: "Source") -> list[str]:
    """The versions `latest` of the source could have meant, oldest first: the marketplace's, or the gallery image's in latest."""
    from mdpool.imagebuild.builder import list_gallery_image_versions
    from mdpool.imagebuild.source_version import in_latest, marketplace_versions, version_key
    from mdpool.imagebuild.template import GallerySource

    if not isinstance(source, GallerySource):
        return marketplace_versions(client, spec.subscription_id, spec.settings.location, source)
    names = [str(v["name"]) for v in list_gallery_image_versions(client, source.image_id) if v.get("name") and in_latest(v)]
    return sorted(names, key=version_key)


def _built_hashes(client: Any, gallery_image_id: str) -> set[str]:
    """Content hashes of the image definition's versions that finished provisioning."""
    from azure.core.exceptions import AzureError
    from azure.core.rest import HttpRequest

    from mdpool.imagebuild.builder import GALLERY_API_VERSION
    from mdpool.imagebuild.template import CONTENT_HASH_TAG

    url: str | None = f"{gallery_image_id}/versions"
    params: dict[str, str] | None = {"api-version": GALLERY_API_VERSION}
    found: set[str] = set()
    try:
        for _ in range(100):  # pages; bounded
            if url is None:
                break
            response = client.send_request(HttpRequest("GET", url, params=params))
            if response.status_code == 404:
                return found
            response.raise_for_status()
            page = response.json()
            for item in page.get("value") or []:
                if (item.get("properties") or {}).get("provisioningState") == "Succeeded":
                    tag = (item.get("tags") or {}).get(CONTENT_HASH_TAG)
                    if tag:
                        found.add(tag)
            url, params = page.get("nextLink"), None
    except AzureError as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DeployError(f"{gallery_image_id}: cannot list its versions: {detail}") from None
    return found


def pinned_specs(specs: Sequence["ImageSpec"], planned: Sequence[PlannedImage]) -> list["ImageSpec"]:
    """The specs of the images the plan builds, each on the source version the plan resolved.

    Refuses when an image's content no longer hashes to what the plan showed: the approval was for
    other content.
    """
    from mdpool.imagebuild.images import load_definition
    from mdpool.imagebuild.source_version import with_source
    from mdpool.imagebuild.template import GallerySource, PlatformSource, settings_content_hash

    by_name = {spec.name: spec for spec in specs}
    pinned, problems = [], []
    for image in planned:
        if not image.build:
            continue
        if image.name not in by_name:
            problems.append(
                f"image {image.name}: in the saved plan but no longer buildable in the config; plan the images stage again"
            )
            continue
        configured = by_name[image.name]
        if image.source.startswith("/"):  # a gallery image version id (a base of the config's: `latest` while it is rebuilt)
            source: Source | None = GallerySource(image.source, configured.base_image)
        else:
            parts = image.source.split(":", 3)
            source = PlatformSource(*parts) if len(parts) == 4 else None
        if source is None or not _same_image(source, configured.settings.source):
            # the content hash holds the source, but a hand edit can change both: the approval was for the
            # config's source image (the plan only resolves its version), not for another one
            problems.append(
                f"image {image.name}: the saved plan builds from {image.source}, not from the config's source "
                f"{configured.settings.source.urn} at a version; plan the images stage again"
            )
            continue
        spec = with_source(configured, source)
        digest = settings_content_hash(load_definition(spec), spec.settings)
        if digest != image.content_hash:
            problems.append(
                f"image {image.name}: its content hash is {digest[:12]} now, the approved plan built "
                f"{image.content_hash[:12]}; the definition changed since: plan the images stage again"
            )
            continue
        pinned.append(spec)
    if problems:
        raise DeployError(problems)
    return pinned


def _same_image(planned: "Source", configured: "Source") -> bool:
    """Whether the plan's source is the configured image, at the configured version or at `latest` resolved
    (names compared ignoring case, as ARM ids and marketplace names are)."""
    from mdpool.imagebuild.template import GallerySource, PlatformSource

    if isinstance(planned, GallerySource) and isinstance(configured, GallerySource):
        same = planned.image_id.lower() == configured.image_id.lower()
    elif isinstance(planned, PlatformSource) and isinstance(configured, PlatformSource):
        names = zip((planned.publisher, planned.offer, planned.sku), (configured.publisher, configured.offer, configured.sku))
        same = all(mine.lower() == theirs.lower() for mine, theirs in names)
    else:
        return False
    return same and configured.version.lower() in ("latest", planned.version.lower())


def images_markdown(planned: Sequence[PlannedImage], environment: str, command: str) -> str:
    building = [image for image in planned if image.build]
    lines = [
        f"## mdpool plan: images stage of {environment}",
        "",
        f"**{len(building)} of {len(planned)} image(s) to build**",
        "",
        "| image | action | why | source | content hash |",
        "| --- | --- | --- | --- | --- |",
    ]
    for image in planned:
        action = "build" if image.build else "skip"
        lines.append(f"| {image.name} | {action} | {image.reason} | `{image.source}` | `{image.content_hash[:12]}` |")
    deletions = [(image.name, (image.retention or {}).get("delete") or []) for image in planned]
    deletions = [(name, versions) for name, versions in deletions if versions]
    if deletions:
        lines += ["", "Old versions each build would delete (`keep_versions`):", ""]
        lines += [f"- {name}: {', '.join(f'`{v}`' for v in versions)}" for name, versions in deletions]
    lines += ["", f"Approving builds exactly these images from these sources (`{command}`).", ""]
    return "\n".join(lines)


def images_json(planned: Sequence[PlannedImage]) -> str:
    return json.dumps({"images": [image.to_json() for image in planned]}, indent=2, sort_keys=True) + "\n"


def load_images(text: str) -> list[PlannedImage]:
    return [PlannedImage.from_json(item) for item in json.loads(text)["images"]]
