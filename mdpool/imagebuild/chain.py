"""Build order for images built on images: a base image first, then the images on it.

An image whose `build.source` is another gallery image of the config (`gallery_image`) starts from a
version of that image. When both are built in one run, the base is built first and the child's
`latest` is resolved only then, to the version the base build just made: that version's id is in the
child's content hash (mdpool.imagebuild.template `hash_inputs`), so a rebuilt base rebuilds its
children, and an unchanged base leaves them alone. Images are built in layers: every image whose base
is not built in this run first (in parallel), then the images on those, and so on. A child whose base
failed is not started. `mdpool validate` refuses bases in a ring (mdpool.rules.gallery); the layers
refuse one too, for specs that never went through a config.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Sequence

from mdpool.imagebuild.images import ImageSpec, load_definition
from mdpool.problems import InputError, Problem

if TYPE_CHECKING:
    from mdpool.imagebuild.builder import BuildOptions, BuildResult, Connection, ProgressCallback


def build_layers(specs: Sequence[ImageSpec]) -> list[list[ImageSpec]]:
    """`specs` in layers: each spec one layer after the base it is built on (when that base is in `specs`)."""
    by_name = {spec.name: spec for spec in specs}
    depth: dict[str, int] = {}

    def depth_of(spec: ImageSpec, path: tuple[str, ...]) -> int:
        if spec.name in depth:
            return depth[spec.name]
        base = spec.base_image
        if base is None or base not in by_name:
            found = 0
        elif base in path:
            ring = " -> ".join((*path[path.index(base) :], base))
            message = f"images built on each other in a ring ({ring}); no order builds them"
            raise InputError([Problem("<images>", None, "gallery.images.build.source", message)])
        else:
            found = depth_of(by_name[base], (*path, base)) + 1
        depth[spec.name] = found
        return found

    for spec in specs:
        depth_of(spec, (spec.name,))
    layers: list[list[ImageSpec]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for spec in specs:
        layers[depth[spec.name]].append(spec)
    return layers


def built_here(specs: Sequence[ImageSpec]) -> set[str]:
    """Names of the specs whose base image is built in the same run (their `latest` waits for it)."""
    names = {spec.name for spec in specs}
    return {spec.name for spec in specs if spec.base_image in names}


def resolve_independent(specs: Sequence[ImageSpec], connection: "Connection") -> list[ImageSpec]:
    """Every `latest` resolved now (mdpool.imagebuild.source_version), except an image's whose base is
    built in this run: that one is resolved by `build_in_order` once its base built. Raises SourceError."""
    from mdpool.imagebuild.source_version import resolve_specs

    waiting = built_here(specs)
    resolved = iter(resolve_specs([spec for spec in specs if spec.name not in waiting], connection))
    return [spec if spec.name in waiting else next(resolved) for spec in specs]


def build_in_order(
    specs: Sequence[ImageSpec],
    *,
    connection: "Connection",
    options: "BuildOptions",
    on_progress: "ProgressCallback | None" = None,
    stop: threading.Event | None = None,
) -> tuple[list[ImageSpec], list["BuildResult"]]:
    """Build `specs` layer by layer (mdpool.imagebuild.builder `build_images` within a layer).

    Returns the specs as built (sources resolved) and one result per spec, both in the order given.
    Every definition is checked before the first build (InputError, nothing built); a child whose base
    failed fails without starting, and after `stop` no new layer starts.
    """
    from mdpool.imagebuild.builder import DETACHED, FAILED, BuildResult, build_images
    from mdpool.imagebuild.source_version import SourceError, resolve_specs

    layers = build_layers(specs)
    if len(layers) > 1:  # one layer: build_images checks every definition itself before it builds
        problems = []
        for spec in specs:
            try:
                load_definition(spec)
            except InputError as error:
                problems.extend(error.problems)
        if problems:
            raise InputError(problems)
    stop = stop or threading.Event()
    waiting = built_here(specs)
    results: dict[str, BuildResult] = {}
    built: dict[str, ImageSpec] = {spec.name: spec for spec in specs}
    for layer in layers:
        ready = []
        for spec in layer:
            base = spec.base_image
            if stop.is_set():
                results[spec.name] = BuildResult(spec.name, DETACHED, spec.template_name, message="not started: stopped before its turn")
            elif base in results and not results[base].ok:
                results[spec.name] = BuildResult(
                    spec.name, FAILED, spec.template_name, message=f"not started: its base image {base} did not build"
                )
            elif spec.name in waiting:
                try:  # the base built: `latest` is now the version it made (or the one it found up to date)
                    ready.append(resolve_specs([spec], connection)[0])
                except SourceError as error:
                    results[spec.name] = BuildResult(spec.name, FAILED, spec.template_name, message=str(error))
                except KeyboardInterrupt:  # Ctrl-C between layers: the builds so far are reported, no more start
                    stop.set()
                    results[spec.name] = BuildResult(spec.name, DETACHED, spec.template_name, message="not started: stopped before its turn")
            else:
                ready.append(spec)
        if not ready:
            continue
        for spec, result in zip(ready, build_images(specs=ready, connection=connection, options=options, on_progress=on_progress, stop=stop)):
            results[spec.name] = result
            built[spec.name] = spec
    return [built[spec.name] for spec in specs], [results[spec.name] for spec in specs]
