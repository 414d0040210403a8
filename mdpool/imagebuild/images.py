"""The configured images, as typed build specs: the one place image builds read the config.

`image_specs(cfg)` turns each gallery image with a `build:` section into an `ImageSpec` (where its
definition file is, what the template needs, where the template lives); the rest of
`mdpool.imagebuild` works on specs, so it can be driven without a config file too (tests, bench,
the staged deploy).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Sequence

from mdpool.imagebuild.definition import ImageDefinition, parse_definition
from mdpool.imagebuild.render import RenderedDefinition, display_path, render_definition
from mdpool.imagebuild.template import GallerySource, PlatformSource, Source, TemplateSettings
from mdpool.problems import InputError, Problem

if TYPE_CHECKING:
    from mdpool.config import BuildSource, EnvironmentConfig


@dataclass(frozen=True)
class ImageSpec:
    """One image to build: its definition file and everything the build needs from the environment."""

    name: str
    os_type: str
    definition_path: Path
    settings: TemplateSettings
    subscription_id: str
    resource_group: str
    template_name: str
    variables: Mapping[str, str] = field(default_factory=dict)

    @property
    def template_variables(self) -> dict[str, str]:
        """The config's variables on top of the blog's matrix columns, which every template may use."""
        source = self.settings.source
        automatic = {"ImageName": self.name, "OsType": self.os_type, "Location": self.settings.location}
        if isinstance(source, PlatformSource):
            automatic.update(Publisher=source.publisher, Offer=source.offer, Sku=source.sku, Version=source.version)
        else:  # a gallery image version: no marketplace names; the version, and the version's id
            automatic.update(Publisher="", Offer="", Sku="", Version=source.version, SourceImageVersionId=source.image_version_id)
        return {**automatic, **dict(self.variables)}

    @property
    def base_image(self) -> str | None:
        """The config's gallery image this one is built on, if any (mdpool.imagebuild.chain orders by it)."""
        source = self.settings.source
        return source.gallery_image if isinstance(source, GallerySource) else None

    @property
    def template_id(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.VirtualMachineImages/imageTemplates/{self.template_name}"
        )


def image_specs(cfg: EnvironmentConfig, names: Sequence[str] | None = None) -> list[ImageSpec]:
    """Specs of the named images (all buildable images when `names` is empty); InputError for unknown names."""
    names_ = cfg.names
    buildable = {image.name: image for image in cfg.gallery.images if image.build is not None}
    problems = []
    for name in names or []:
        if name in buildable:
            continue
        configured = [image.name for image in cfg.gallery.images]
        if name in configured:
            problems.append(
                Problem(
                    display_path(cfg.config_path),
                    None,
                    "gallery.images",
                    f"image {name!r} has no build section, so mdpool does not build it",
                )
            )
            continue
        close = difflib.get_close_matches(name, configured, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        problems.append(
            Problem(
                display_path(cfg.config_path),
                None,
                "gallery.images",
                f"no image named {name!r}{hint}; configured: {', '.join(configured) or 'none'}",
            )
        )
    if problems:
        raise InputError(problems)
    selected = [buildable[name] for name in dict.fromkeys(names)] if names else list(buildable.values())
    specs = []
    for image in selected:
        build = image.build
        assert build is not None
        specs.append(
            ImageSpec(
                name=image.name,
                os_type=image.os_type,
                definition_path=build.definition_path,
                variables=dict(build.variables),
                settings=TemplateSettings(
                    image_name=image.name,
                    location=cfg.location,
                    identity_id=names_.builder_identity_id,
                    gallery_image_id=names_.gallery_image_id(image.name),
                    source=build_source(cfg, build.source),
                    vm_size=image.build_vm_size,
                    timeout_minutes=build.timeout_minutes,
                    tags=dict(cfg.tags),
                    architecture=image.architecture,
                    # a canary rollout judges a new version before the pools at `latest` see it (mdpool.rollout)
                    exclude_from_latest=cfg.rollout.strategy == "canary"
                    and any(entry.gallery_image == image.name and entry.version == "latest" for pool in cfg.pools for entry in pool.images),
                    boot_optimization=build.boot_optimization,
                    staging_resource_group_id=names_.staging_resource_group_id(image.name),
                    subnet_id=build.network.subnet_id if build.network else None,
                    container_instance_subnet_id=build.network.container_instance_subnet_id if build.network else None,
                ),
                subscription_id=cfg.subscription_id,
                resource_group=names_.gallery_resource_group,
                template_name=names_.image_template(image.name),
            )
        )
    return specs


def build_source(cfg: EnvironmentConfig, source: BuildSource) -> Source:
    """The config's `build.source` as the template's source; a gallery image of this config by its id."""
    if source.gallery_image is not None:
        image_id = cfg.names.gallery_image_id(source.gallery_image)
        base = next((image for image in cfg.gallery.images if image.name == source.gallery_image), None)
        built = base is None or base.build is not None
        return GallerySource(f"{image_id}/versions/{source.version}", source.gallery_image, built)
    if source.image_version_id is not None:
        return GallerySource(source.image_version_id)
    assert source.publisher and source.offer and source.sku  # BuildSource._one_kind
    return PlatformSource(source.publisher, source.offer, source.sku, source.version)


def render_spec(spec: ImageSpec) -> RenderedDefinition:
    return render_definition(spec.definition_path, spec.template_variables)


def load_definition(spec: ImageSpec) -> ImageDefinition:
    """Render and validate the spec's definition file; InputError with every problem found."""
    rendered = render_spec(spec)
    return parse_definition(
        rendered.text, label=rendered.line_label, os_type=spec.os_type, timeout_minutes=spec.settings.timeout_minutes
    )


def load_definition_once(cfg: EnvironmentConfig, spec: ImageSpec) -> ImageDefinition:
    """load_definition, remembered on `cfg` by what it reads (the file, the variables, the OS type and the
    timeout): `validate` checks each definition for its fit (mdpool.imagebuild.fit) and then for its
    problems; each file is rendered once (a round trip to the render child) and parsed once."""
    key = (str(spec.definition_path), tuple(sorted(spec.template_variables.items())), spec.os_type, spec.settings.timeout_minutes)
    known = cfg._definitions
    if key not in known:
        try:
            known[key] = load_definition(spec)
        except InputError as error:
            known[key] = error
    found = known[key]
    if isinstance(found, InputError):
        raise InputError(found.problems, found.warnings)
    return found


def check_image_definitions(cfg: EnvironmentConfig) -> list[Problem]:
    """Problems in the definition file of every buildable image (render + model checks, no shellcheck).

    `mdpool validate` calls this; it needs neither the Azure SDK nor any external program.
    """
    problems: list[Problem] = []
    for spec in image_specs(cfg):
        try:
            load_definition_once(cfg, spec)
        except InputError as error:
            problems.extend(error.problems)
    return sorted(set(problems), key=lambda p: (p.file, p.line or 0, p.path, p.message))
