"""Image builds: image definition files (the blog's JSON, optionally jinja2) -> Azure Image Builder.

Cheap to import (no Azure SDK): `mdpool validate` uses `check_image_definitions`. The build flow
lives in `mdpool.imagebuild.builder`, which imports the SDK.

- `definition`: the file format, parsed and validated into typed steps;
- `render`: jinja2 rendering of `*.json.j2` with the config's variables;
- `template`: the ARM image template, exactly as the blog's script builds it, plus a content hash;
- `lint`: model checks, bash -n, shellcheck and the footguns that cost a whole build;
- `images`: the configured images as build specs;
- `builder`: skip / reattach / cancel / create / run / watch, in parallel;
- `chain`: a base image before the images built on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mdpool.imagebuild.images import ImageSpec, check_image_definitions, image_specs, load_definition

__all__ = ["ImageSpec", "check_image_definitions", "image_specs", "load_definition"]


def __getattr__(name: str) -> Any:
    """The names above, imported when first used (PEP 562): importing one submodule, as the render
    child does (mdpool.imagebuild.render_child), does not load the definitions, yaml and templates."""
    if name in __all__:
        from mdpool.imagebuild import images

        return getattr(images, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
