"""Which configuration file a command reads when `--config` is not given.

In this order: the file `$MDPOOL_CONFIG` names (a pipeline sets it), else `mdpool.yaml` in the
current folder (a user's own repository, as `mdpool init` starts it), else `config/example.yaml`
(this project's own repository, in a clone). Cheap to import: os and pathlib only.
"""

from __future__ import annotations

import os
from pathlib import Path

CONFIG_ENVVAR = "MDPOOL_CONFIG"
USER_CONFIG = Path("mdpool.yaml")
EXAMPLE_CONFIG = Path("config/example.yaml")
SEARCH_ORDER = f"${CONFIG_ENVVAR}, else ./{USER_CONFIG}, else ./{EXAMPLE_CONFIG.as_posix()}"

NOT_FOUND = (
    f"no configuration file: ${CONFIG_ENVVAR} is not set, and there is neither ./{USER_CONFIG} "
    f"nor ./{EXAMPLE_CONFIG.as_posix()}; start one with `mdpool init`, or pass --config FILE"
)


def discover_config(folder: Path | None = None) -> Path | None:
    """The configuration file to read without --config, or None when there is none to find."""
    named = os.environ.get(CONFIG_ENVVAR)
    if named:  # named explicitly: used as given, so a missing file is reported by its name
        return Path(named)
    folder = Path.cwd() if folder is None else folder
    return next((candidate for candidate in (USER_CONFIG, EXAMPLE_CONFIG) if (folder / candidate).is_file()), None)
