"""Provider lock: the committed lock files are carried into the synthesized stacks, a deploy in CI
enforces them (`terraform init -lockfile=readonly`, real terraform), and the plugin cache no longer
bypasses them."""

from __future__ import annotations

import os
import re

import pytest

from mdpool.deploy.errors import TerraformError
from mdpool.deploy.terraform import automation_env
from mdpool.provider_lock import LOCK_FILE, place_lock_files

# A lock file naming a provider the stand-in stacks do not use: a plain `terraform init` prunes the
# entry (it rewrites the lock to match the configuration), a read-only one must leave it as it is.
FOREIGN_LOCK = """# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/hashicorp/null" {
  version = "3.2.2"
  hashes = [
    "h1:not-a-real-hash-only-a-marker-for-this-test=",
  ]
}
"""


def test_synth_carries_the_committed_lock_into_each_stack_of_its_kind(example_config, tmp_path, monkeypatch):
    from mdpool import provider_lock
    from mdpool.synth import synthesize

    locks = tmp_path / "locks"
    locks.mkdir()
    (locks / f"gallery{LOCK_FILE}").write_text(FOREIGN_LOCK)
    monkeypatch.setattr(provider_lock, "COMMITTED_LOCKS", locks)
    out = tmp_path / "cdktf.out"
    result = synthesize(example_config, out)
    gallery, pool = (result.stacks[name] for name in (example_config.gallery_stack, example_config.pool_stack))
    assert (gallery / LOCK_FILE).read_text() == FOREIGN_LOCK
    assert not (pool / LOCK_FILE).exists()  # no committed pool lock: nothing invented

    # a lock left by an earlier init is carried over by synth, but the committed one wins
    (gallery / LOCK_FILE).write_text("# stale\n")
    synthesize(example_config, out)
    assert (gallery / LOCK_FILE).read_text() == FOREIGN_LOCK


def test_no_committed_lock_places_nothing(tmp_path):
    (tmp_path / "stacks" / "gallery-dev").mkdir(parents=True)
    assert place_lock_files(tmp_path / "stacks", tmp_path / "no-locks") == []
    assert not (tmp_path / "stacks" / "gallery-dev" / LOCK_FILE).exists()


def test_ci_init_leaves_the_lock_file_as_committed(workspace, terraform, captured):
    stack_dir = workspace.out / "stacks" / "gallery-dev"
    (stack_dir / LOCK_FILE).write_text(FOREIGN_LOCK)
    readonly = terraform.stack("gallery-dev", stack_dir)
    readonly.env = {**readonly.env, "MDPOOL_PROVIDER_LOCK": "readonly"}
    with pytest.raises(TerraformError):  # the configuration does not match the lock: the run stops
        readonly.init()
    assert (stack_dir / LOCK_FILE).read_text() == FOREIGN_LOCK
    assert "the lock file is read-only" in re.sub(r"\s+", " ", captured.text.replace("[gallery-dev] ", ""))

    matching = '# This file is maintained automatically by "terraform init".\n'  # no provider: matches
    (stack_dir / LOCK_FILE).write_text(matching)
    readonly.init()
    assert (stack_dir / LOCK_FILE).read_text() == matching
    (stack_dir / LOCK_FILE).write_text(FOREIGN_LOCK)

    terraform.stack("gallery-dev", stack_dir).init()  # outside CI: terraform keeps the lock in step
    assert "hashicorp/null" not in (stack_dir / LOCK_FILE).read_text()


def test_the_plugin_cache_does_not_bypass_the_lock(tmp_path):
    env = automation_env({"HOME": str(tmp_path)}, tmp_path / "cache")
    assert "TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE" not in env
    assert env["TF_PLUGIN_CACHE_DIR"] == str(tmp_path / "cache")


def test_a_repositorys_own_locks_beside_its_config_win(tmp_path, monkeypatch):
    """A repository of one's own commits its lock files in .mdpool/locks beside the config (mdpool
    provider-locks); synth carries them, and mdpool's shipped lock only for a kind they lack."""
    import shutil

    from mdpool import provider_lock
    from mdpool.loader import load_config
    from mdpool.problems import InputError
    from mdpool.synth import synthesize
    from tests.conftest import EXAMPLE_CONFIG, REPO

    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / f"gallery{LOCK_FILE}").write_text("# shipped gallery\n")
    (shipped / f"pool{LOCK_FILE}").write_text("# shipped pool\n")
    monkeypatch.setattr(provider_lock, "COMMITTED_LOCKS", shipped)
    repo = tmp_path / "repo"
    shutil.copytree(REPO / "images", repo / "images")
    (repo / "config").mkdir()
    shutil.copy(EXAMPLE_CONFIG, repo / "config" / "example.yaml")
    locks = repo / "config" / ".mdpool" / "locks"
    locks.mkdir(parents=True)
    (locks / f"pool{LOCK_FILE}").write_text(FOREIGN_LOCK)
    config = load_config(repo / "config" / "example.yaml")
    result = synthesize(config, tmp_path / "cdktf.out")
    assert (result.stacks[config.pool_stack] / LOCK_FILE).read_text() == FOREIGN_LOCK
    assert (result.stacks[config.gallery_stack] / LOCK_FILE).read_text() == "# shipped gallery\n"

    (locks / f"pool{LOCK_FILE}").unlink()
    os.mkfifo(locks / f"pool{LOCK_FILE}")  # not a regular file: skipped by is_file, the shipped one used
    result = synthesize(config, tmp_path / "cdktf.out")
    assert (result.stacks[config.pool_stack] / LOCK_FILE).read_text() == "# shipped pool\n"

    (locks / f"pool{LOCK_FILE}").unlink()
    (locks / f"pool{LOCK_FILE}").write_text("#" * (provider_lock.MAX_LOCK_BYTES + 1))
    with pytest.raises(InputError) as refused:
        synthesize(config, tmp_path / "cdktf.out")
    assert str(refused.value.problems[0]).startswith(f"{locks / f'pool{LOCK_FILE}'}: provider lock file is larger than")
    assert (result.stacks[config.pool_stack] / LOCK_FILE).read_text() == "# shipped pool\n"  # the output left as it was
