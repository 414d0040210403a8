"""Shell completion of the names a config defines: image names (`images build IMAGE`, `rollout IMAGE`...)
and pool names (`--pool NAME`).

Completion runs on every Tab, so it reads the config the command would read (`--config` as typed
so far, else the discovered one) with the YAML reader alone: no models, no rules, no image
definitions. It never raises: a missing, broken or hostile file completes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer


def _config_data(ctx: typer.Context) -> dict[str, Any]:
    from mdpool.config_file import discover_config
    from mdpool.yamlsource import load_yaml

    given = ctx.params.get("config")
    path = Path(given) if given else discover_config()
    if path is None:
        return {}
    data = load_yaml(path).data
    return data if isinstance(data, dict) else {}


def _names(entries: Any) -> list[str]:
    if not isinstance(entries, list):
        return []
    names = [entry.get("name") for entry in entries if isinstance(entry, dict)]
    return [name for name in names if isinstance(name, str) and name]


def _matching(names: list[str], incomplete: str) -> list[str]:
    return [name for name in dict.fromkeys(names) if name.startswith(incomplete)]


def image_names(ctx: typer.Context, incomplete: str) -> list[str]:
    """The config's gallery image names (`gallery.images[].name`) that start with what was typed."""
    try:
        gallery = _config_data(ctx).get("gallery")
        given = ctx.params.get("names") or ()  # `images build A B`: A is not offered again
        names = _names(gallery.get("images") if isinstance(gallery, dict) else None)
        return _matching([name for name in names if name not in given], incomplete)
    except Exception:  # noqa: BLE001 - completion completes nothing rather than print a traceback
        return []


def pool_names(ctx: typer.Context, incomplete: str) -> list[str]:
    """The short names of the config's `pools:` (a `pool:` config has none) that start with what was typed."""
    try:
        given = ctx.params.get("pool") or ()  # `--pool a --pool `: a is not offered again
        return _matching([name for name in _names(_config_data(ctx).get("pools")) if name not in given], incomplete)
    except Exception:  # noqa: BLE001 - completion completes nothing rather than print a traceback
        return []
