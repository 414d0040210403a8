"""Rules for names: each name Azure would refuse, and names that must differ (as Azure compares them)."""

from __future__ import annotations

from collections.abc import Iterator

from mdpool.config import EnvironmentConfig
from mdpool.rules.findings import Finding
from mdpool.validate.names import RULES


def name_checks(config: EnvironmentConfig) -> list[Finding]:
    """(config location, problem) for each name, explicit or derived, that Azure would refuse.

    A derived name is reported at the setting that would fix it (e.g. pool.dev_center_name), so the
    user knows where to write an explicit, shorter name.
    """
    names = config.names
    checks: list[tuple[tuple, str, str]] = [
        (("resource_groups", "gallery"), "resource group", names.gallery_resource_group),
        (("gallery", "name"), "gallery", names.gallery),
        (("builder", "identity_name"), "user-assigned identity", names.builder_identity),
        (("builder", "role_name"), "role definition", names.builder_role),
    ]
    for pool in config.pools:
        pool_names = names.for_pool(pool)
        checks += [
            (("resource_groups", "pool"), "resource group", pool_names.resource_group),
            (pool.loc("dev_center_name"), "dev center", pool_names.dev_center),
            (pool.loc("project_name"), "dev center project", pool_names.project),
            (pool.loc("name"), "managed devops pool", pool_names.pool),
        ]
        if pool.network and pool.network.new:
            checks += [
                (pool.loc("network", "new", "name"), "virtual network", pool_names.vnet),
                (pool.loc("network", "new", "subnet_name"), "subnet", pool_names.subnet),
            ]
    for index, image in enumerate(config.gallery.images):
        checks.append((("gallery", "images", index, "name"), "gallery image", image.name))
        checks.append(
            (("gallery", "images", index, "build", "template_name"), "image template", names.image_template(image.name))
        )
        if image.name in names.staging_resource_groups:
            checks.append((("builder", "staging_resource_group"), "resource group", names.staging_resource_groups[image.name]))
    found: list[Finding] = []
    for loc, kind, name in checks:
        message = RULES[kind].problem(name)
        if message:
            found.append((loc, message))
        elif (advice := RULES[kind].warning(name)) is not None:
            found.append((loc, advice, "warning"))
    return found


def unique_name_rules(config: EnvironmentConfig) -> Iterator[Finding]:
    """Names of sibling resources, compared as Azure compares them: case-insensitively
    (learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules: "Resource and
    resource group names are case-insensitive ... Always perform a case-insensitive comparison")."""
    names = config.names
    seen_images: dict[str, int] = {}
    seen_templates: dict[str, int] = {}
    for index, image in enumerate(config.gallery.images):
        loc = ("gallery", "images", index)
        key = image.name.casefold()
        if key in seen_images:
            other = config.gallery.images[seen_images[key]].name
            yield (
                (*loc, "name"),
                (
                    f"image {image.name!r} is defined twice (also images[{seen_images[key]}] as "
                    f"{other!r}); names must be unique, and Azure compares them ignoring case"
                ),
            )
        seen_images.setdefault(key, index)
        template = names.image_template(image.name)
        key = template.casefold()
        if key in seen_templates:
            yield (
                (*loc, "build", "template_name"),
                (
                    f"image template name {template!r} is also used by "
                    f"images[{seen_templates[key]}]; template names must be unique "
                    "(Azure compares them ignoring case)"
                ),
            )
        seen_templates.setdefault(key, index)
    groups = (names.gallery_resource_group, names.pool_resource_group)
    if groups[0] != groups[1] and groups[0].casefold() == groups[1].casefold():
        yield (
            ("resource_groups", "pool"),
            (
                f"{groups[1]!r} and {groups[0]!r} differ only in case: Azure sees "
                "one resource group; write the same spelling in both"
            ),
        )
