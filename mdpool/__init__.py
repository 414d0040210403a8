"""mdpool: Azure Managed DevOps Pools on your own build-agent images, from one typed config file."""

# The one place the version lives: pyproject.toml reads it (setuptools dynamic version) and
# `mdpool --version` prints it.
__version__ = "0.2.0"
