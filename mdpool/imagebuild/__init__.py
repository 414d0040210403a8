"""Image builds: image definition files (the blog's JSON, optionally jinja2) -> Azure Image Builder.

Cheap to import (no Azure SDK): `mdpool validate` uses `check_image_definitions`. The build flow
lives in `mdpool.imagebuild.builder`, which imports the SDK.

- `definition`: the file format, parsed and validated into typed steps;
- `render`: jinja2 rendering of `*.json.j2` with the config's variables;
- `template`: the ARM image template, exactly as the blog's script builds it, plus a content hash;
- `lint`: model checks, bash -n, shellcheck and the footguns that cost a whole build;
- `images`: the configured images as build specs;
- `builder`: skip / reattach / cancel / create / run / watch, in parallel.
"""

from mdpool.imagebuild.images import ImageSpec, check_image_definitions, image_specs, load_definition

__all__ = ["ImageSpec", "check_image_definitions", "image_specs", "load_definition"]
