"""`mdpool provider-locks`: the real terraform writes each kind of stack's lock file (here from a local
mirror of stand-in provider packages: the registry is not reachable from the tests) into the
repository, where synth picks them up; only Terraform's own lock files are ever replaced."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import zipfile
from pathlib import Path

import pytest

from tests.conftest import run_mdpool

PLATFORM = "linux_amd64"


def hash1(package: Path) -> str:
    """Terraform's `h1:` checksum of a provider package, computed here from its definition (the Go
    module dirhash Hash1 of the package's files: sha256 of the lines `<sha256 hex>  <name>\\n`, sorted)."""
    with zipfile.ZipFile(package) as archive:
        lines = sorted(f"{hashlib.sha256(archive.read(name)).hexdigest()}  {name}\n" for name in archive.namelist())
    return "h1:" + base64.b64encode(hashlib.sha256("".join(lines).encode()).digest()).decode()


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("user") / "repo"
    started = run_mdpool("init", str(folder))
    assert started.returncode == 0, started.stderr
    return folder


@pytest.fixture(scope="module")
def providers(repo, tmp_path_factory) -> dict[str, tuple[str, str]]:
    """The providers the stacks pin (source -> (version, package path)), from a synth of the repository."""
    out = tmp_path_factory.mktemp("synth") / "cdktf.out"
    synthesized = run_mdpool("synth", "--out", str(out), cwd=repo, timeout=300)
    assert synthesized.returncode == 0, synthesized.stderr
    pinned = {}
    for stack in ("gallery-dev", "pool-dev"):
        required = json.loads((out / "stacks" / stack / "cdk.tf.json").read_text())["terraform"]["required_providers"]
        for entry in required.values():
            source = entry["source"].lower()
            pinned[source if "/" in source else f"hashicorp/{source}"] = entry["version"]
    return pinned


@pytest.fixture(scope="module")
def mirror(providers, tmp_path_factory) -> Path:
    """A filesystem mirror (packed layout) with a stand-in package of each pinned provider."""
    root = tmp_path_factory.mktemp("mirror")
    for source, version in providers.items():
        namespace, kind = source.split("/")
        folder = root / "registry.terraform.io" / namespace / kind
        folder.mkdir(parents=True)
        with zipfile.ZipFile(folder / f"terraform-provider-{kind}_{version}_{PLATFORM}.zip", "w") as archive:
            archive.writestr(f"terraform-provider-{kind}_v{version}", f"#!/bin/sh\necho stand-in {source} {version}\n")
    return root


@pytest.fixture
def terraform_env(tmp_path) -> dict[str, str]:
    rc = tmp_path / "terraformrc"
    rc.write_text("")
    return {"TF_CLI_CONFIG_FILE": str(rc), "TF_PLUGIN_CACHE_DIR": str(tmp_path / "plugin-cache"), "HOME": str(tmp_path)}


def locks_of(repo: Path) -> dict[str, str]:
    folder = repo / ".mdpool" / "locks"
    return {p.name: p.read_text() for p in sorted(folder.iterdir())} if folder.is_dir() else {}


def test_writes_each_kinds_lock_where_synth_reads_it(repo, providers, mirror, terraform_env, tmp_path):
    result = run_mdpool("provider-locks", "--platform", PLATFORM, "--fs-mirror", str(mirror), cwd=repo, env=terraform_env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:2] == [
        "wrote .mdpool/locks/gallery.terraform.lock.hcl",
        "wrote .mdpool/locks/pool.terraform.lock.hcl",
    ]
    locks = locks_of(repo)
    assert sorted(locks) == ["gallery.terraform.lock.hcl", "pool.terraform.lock.hcl"]
    for name, text in locks.items():
        assert text.startswith('# This file is maintained automatically by "terraform init".')
        named = {source for source in providers if f'provider "registry.terraform.io/{source}"' in text}
        assert named == ({"hashicorp/azurerm"} if name.startswith("gallery") else set(providers))
        for source in named:
            namespace, kind = source.split("/")
            package = next((mirror / "registry.terraform.io" / namespace / kind).glob("*.zip"))
            assert f'"{hash1(package)}"' in text
            assert f'version     = "{providers[source]}"' in text

    out = tmp_path / "cdktf.out"
    assert run_mdpool("synth", "--out", str(out), cwd=repo, timeout=300).returncode == 0
    for stack in ("gallery-dev", "pool-dev"):
        kind = stack.split("-")[0]
        assert (out / "stacks" / stack / ".terraform.lock.hcl").read_text() == locks[f"{kind}.terraform.lock.hcl"]

    again = run_mdpool("provider-locks", "--platform", PLATFORM, "--fs-mirror", str(mirror), cwd=repo, env=terraform_env, timeout=300)
    assert again.returncode == 0, again.stderr  # its own (Terraform's) lock files are replaced
    assert locks_of(repo) == locks


def test_refuses_to_replace_a_file_terraform_did_not_write(repo, mirror, terraform_env, tmp_path):
    out = tmp_path / "locks"
    out.mkdir()
    (out / "pool.terraform.lock.hcl").write_text("my notes\n")
    result = run_mdpool(
        "provider-locks", "--out", str(out), "--platform", PLATFORM, "--fs-mirror", str(mirror), cwd=repo, env=terraform_env, timeout=300
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{out / 'pool.terraform.lock.hcl'}: exists and is not a Terraform lock file; move it, or choose another --out"
    ]
    assert sorted(os.listdir(out)) == ["pool.terraform.lock.hcl"]
    assert (out / "pool.terraform.lock.hcl").read_text() == "my notes\n"


def test_a_provider_terraform_cannot_get_is_one_line_and_nothing_written(repo, mirror, terraform_env, tmp_path):
    out = tmp_path / "locks"
    result = run_mdpool(
        "provider-locks", "--out", str(out), "--platform", "windows_amd64", "--fs-mirror", str(mirror), cwd=repo, env=terraform_env, timeout=300
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("gallery-dev: terraform providers lock failed: ") and "\x1b" not in line
    assert not out.exists()


def test_a_platform_that_is_not_os_arch_is_a_usage_error(repo):
    result = run_mdpool("provider-locks", "--platform", "linux amd64", cwd=repo)
    assert result.returncode == 2
    assert result.stderr.strip() == "--platform linux amd64: not a platform; allowed: OS_ARCH, e.g. linux_amd64"
