"""Configuration -> a cdktn App holding the gallery stack and one stack per pool."""

from __future__ import annotations

from mdpool.config import EnvironmentConfig
from mdpool.node import use_bundled_node

use_bundled_node()  # before cdktn starts the jsii runtime

from cdktn import App  # noqa: E402

from mdpool.stacks.gallery import GalleryStack  # noqa: E402
from mdpool.stacks.pool import PoolStack  # noqa: E402
from mdpool.terraform_literal import literal_config  # noqa: E402


def build_app(config: EnvironmentConfig, outdir: str) -> App:
    """The App for `config`, writing to `outdir` when synthesized.

    The stacks get the config with every string escaped for Terraform's templates (`${`, `%{`), so
    each value arrives as the file wrote it; only the references the constructs build are live.
    """
    config = literal_config(config)
    app = App(outdir=outdir, stack_traces=False)
    gallery = GalleryStack(app, config)
    for pool in config.pools:  # one stack per pool: a pool's change plans and applies on its own
        PoolStack(app, config, pool, gallery=gallery.gallery)
    return app
