"""Read one environment's configuration file: YAML -> typed model -> names -> rules.

The top layer of the configuration code (docs/development.md, "Layers"): the models
(`mdpool.config`) know nothing of names or rules, so this is where they meet. Every problem
found is reported at once, one line each, in the form `FILE:LINE: dotted.path: what is wrong;
what is allowed`. The rest of mdpool receives the frozen `EnvironmentConfig` and never sees a
raw dict.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from mdpool.config import EnvironmentConfig
from mdpool.naming import derive_names
from mdpool.problems import InputError, split_warnings
from mdpool.rules import check_config, pydantic_problems
from mdpool.yamlsource import load_yaml


def load_config(path: Path | str) -> EnvironmentConfig:
    """Read and validate `path`; raise InputError with every error found (and the warnings beside them).

    Warnings alone do not fail: they ride on the returned config (`config.warnings`) for the caller
    to print (mdpool.cli_support.load_config_or_exit does).
    """
    path = Path(path)
    doc = load_yaml(path)
    data = doc.data
    if not isinstance(data, dict):
        raise InputError([doc.problem((), "the file must be a mapping of settings (environment, pool, ...)")])
    try:
        config = EnvironmentConfig.model_validate(data)
    except ValidationError as error:
        raise InputError(pydantic_problems(error, doc, EnvironmentConfig)) from None
    config._config_path = path
    for image in config.gallery.images:
        if image.build:
            image.build._base_dir = path.parent
    config._names = derive_names(config)
    errors, warnings = split_warnings(check_config(config, doc))
    if errors:
        raise InputError(errors, warnings)
    config._warnings = warnings
    return config
