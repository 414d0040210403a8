"""Run the real `terraform` (or OpenTofu's `tofu`) in one synthesized stack directory.

Every command runs non-interactively (`-input=false`, TF_IN_AUTOMATION) in the stack's own
directory, so the relative state paths the synth wrote resolve the same way they would for a person
running `terraform` there by hand. Long commands stream their output line by line, prefixed with the
stack name; commands whose output we parse (`show -json`, `output -json`) are captured instead.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from mdpool.deploy.errors import TerraformError

# The pool stack hands the round-1 azurerm_managed_devops_pool over with `removed { lifecycle { destroy =
# false } }` and an `import` with `for_each` (Terraform 1.7); the stack says `required_version >= 1.8.0`
# (mdpool.stacks.foundation), and asking for it here tells the user before a synth, not at init. OpenTofu
# takes a `lifecycle` block in `removed` only from 1.10 (opentofu/opentofu issue 2556; opentofu-schema
# pull 34 moves it to the 1.10 schema): 1.8 and 1.9 refuse the pool stack at init.
MINIMUM_VERSION = {"Terraform": (1, 8, 0), "OpenTofu": (1, 10, 0)}
ENV_BINARY = "MDPOOL_TERRAFORM"
_VERSION_LINE = re.compile(r"^(Terraform|OpenTofu) v(\d+)\.(\d+)\.(\d+)", re.MULTILINE)

Echo = Callable[[str], None]


@dataclass(frozen=True)
class TerraformBinary:
    """An executable that answered `version` as Terraform or OpenTofu, new enough for mdpool."""

    path: str
    product: str  # "Terraform" or "OpenTofu"
    version: tuple[int, int, int]

    @property
    def version_text(self) -> str:
        return ".".join(str(part) for part in self.version)

    def __str__(self) -> str:
        return f"{self.product} {self.version_text} ({self.path})"


def _dotted(version: tuple[int, ...]) -> str:
    return ".".join(str(part) for part in version)


def _needs() -> str:
    return " or ".join(f"{product} >= {_dotted(version)}" for product, version in MINIMUM_VERSION.items())


def locate_terraform(requested: str | None = None, env: Mapping[str, str] | None = None) -> TerraformBinary:
    """Find the binary (`--terraform-bin`, else $MDPOOL_TERRAFORM, else `terraform` on PATH) and check its version.

    Raises TerraformError with one line that says what is wrong and how to fix it.
    """
    env = os.environ if env is None else env
    name = requested or env.get(ENV_BINARY) or "terraform"
    how_to_choose = f"choose one with --terraform-bin or ${ENV_BINARY}; mdpool needs {_needs()}"
    path = shutil.which(name, path=env.get("PATH"))
    if path is None:
        if os.path.isdir(name):
            raise TerraformError(f"{name}: is a folder, not a terraform executable; {how_to_choose}")
        if os.path.isfile(name):
            raise TerraformError(f"{name}: is not executable (chmod +x it); {how_to_choose}")
        raise TerraformError(f"{name}: terraform executable not found; {how_to_choose}")
    # terraform runs in each stack's folder: a relative --terraform-bin (./bin/terraform) must not
    # be looked up there, so it is made absolute against the folder the user typed it in
    path = os.path.abspath(path)
    try:
        answer = subprocess.run(
            [path, "version"],
            env={**env, "CHECKPOINT_DISABLE": "1"},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise TerraformError(f"{path}: cannot run `{name} version` ({error}); {how_to_choose}") from None
    found = _VERSION_LINE.search(answer.stdout)
    if answer.returncode != 0 or found is None:
        raise TerraformError(f"{path}: does not answer `version` as Terraform or OpenTofu; {how_to_choose}")
    product = found.group(1)
    version = (int(found.group(2)), int(found.group(3)), int(found.group(4)))
    if version < MINIMUM_VERSION[product]:
        raise TerraformError(
            f"{path}: {product} {_dotted(version)} is too old; mdpool needs {product} >= "
            f"{_dotted(MINIMUM_VERSION[product])} ({how_to_choose})"
        )
    return TerraformBinary(path=path, product=product, version=version)


def default_plugin_cache(env: Mapping[str, str]) -> Path:
    """A per-user provider cache: synth rewrites the stack directories, so without one every
    deploy would download the azurerm provider (hundreds of MB) again."""
    home = env.get("HOME") or str(Path.home())
    base = env.get("XDG_CACHE_HOME") or str(Path(home) / ".cache")
    return Path(base) / "mdpool" / "terraform-plugins"


def automation_env(base: Mapping[str, str], plugin_cache: Path | None = None) -> dict[str, str]:
    """The environment every terraform command runs with: non-interactive, no update check, a plugin cache."""
    env = dict(base)
    env["TF_IN_AUTOMATION"] = "1"  # no "run terraform apply next" hints meant for humans
    env["TF_INPUT"] = "0"
    env["CHECKPOINT_DISABLE"] = "1"  # no call home for version news
    cache = Path(env.get("TF_PLUGIN_CACHE_DIR") or plugin_cache or default_plugin_cache(env))
    cache.mkdir(parents=True, exist_ok=True)  # terraform ignores a cache directory that does not exist
    env["TF_PLUGIN_CACHE_DIR"] = str(cache)
    # No TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE: the cache must not serve a provider whose
    # checksum the stack's lock file does not list. Synth carries each stack's lock file over (and
    # places the committed one, mdpool.provider_lock), so from the second init on the cache is used.
    return env


@dataclass(frozen=True)
class Output:
    value: Any
    sensitive: bool


@dataclass
class StackTerraform:
    """Terraform commands in one stack directory (`<out>/stacks/<name>`)."""

    name: str
    directory: Path
    binary: TerraformBinary
    env: Mapping[str, str]
    echo: Echo
    color: bool = False
    lock_timeout: str = "60s"
    commands: list[str] = field(default_factory=list)  # verbs run, in order: what a run really did

    def init(self) -> None:
        from mdpool.provider_lock import init_arguments

        # in CI (MDPOOL_PROVIDER_LOCK=readonly) a committed lock file is enforced, never updated
        self._stream("init", ["-input=false", *init_arguments(self.directory, self.env)])

    def plan(self, plan_file: str, variables: Mapping[str, str] | None = None) -> None:
        """Plan into `plan_file` (relative to the stack directory): apply later applies exactly this."""
        assigned = [f"-var={key}={value}" for key, value in sorted((variables or {}).items())]
        self._stream("plan", ["-input=false", f"-lock-timeout={self.lock_timeout}", *assigned, f"-out={plan_file}"])

    def state_addresses(self) -> list[str]:
        """The managed resources' addresses in the stack's state (`show -json`: [] when there is no state yet,
        where `state list` would fail)."""
        state = json.loads(self._capture("show", ["-json"]) or "{}")
        found: list[str] = []
        modules = [((state.get("values") or {}).get("root_module")) or {}]
        while modules:
            module = modules.pop()
            found += [r["address"] for r in module.get("resources") or [] if r.get("mode") == "managed"]
            modules += module.get("child_modules") or []
        return sorted(found)

    def show_plan(self, plan_file: str) -> dict[str, Any]:
        return json.loads(self._capture("show", ["-json", plan_file]))

    def apply(self, plan_file: str) -> None:
        # A saved plan is applied as is, without a question; the question was asked about this plan.
        self._stream("apply", ["-input=false", f"-lock-timeout={self.lock_timeout}", plan_file])

    def outputs(self) -> dict[str, Output]:
        """The stack's outputs from its state; empty when the stack has never been applied."""
        raw = json.loads(self._capture("output", ["-json"]) or "{}")
        return {key: Output(value=item.get("value"), sensitive=bool(item.get("sensitive"))) for key, item in raw.items()}

    # -- running ---------------------------------------------------------------------------

    def _argv(self, verb: str, args: Sequence[str]) -> list[str]:
        return [self.binary.path, verb, *args, *([] if self.color else ["-no-color"])]

    def _failed(self, verb: str, code: int) -> TerraformError:
        return TerraformError(f"{self.name}: {self.binary.product.lower()} {verb} failed (exit {code}); its output is above")

    def _stream(self, verb: str, args: Sequence[str]) -> None:
        self.commands.append(verb)
        # A session of its own: a Ctrl-C in the terminal reaches only us, and we pass on exactly one
        # interrupt, which terraform answers by stopping cleanly and releasing its state lock (a
        # second one would make it exit at once, mid-write).
        process = subprocess.Popen(
            self._argv(verb, args),
            cwd=self.directory,
            env=dict(self.env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            start_new_session=True,
        )
        try:
            self._relay(process)
            code = process.wait()
        except KeyboardInterrupt:
            self._interrupt(process)
            raise
        if code != 0:
            raise self._failed(verb, code)

    def _relay(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.echo(f"[{self.name}] {line.rstrip()}")

    def _interrupt(self, process: subprocess.Popen[str]) -> None:
        if process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            self._relay(process)
            process.wait()
        except KeyboardInterrupt:
            process.send_signal(signal.SIGINT)  # asked twice: let terraform exit at once
            process.wait()

    def _capture(self, verb: str, args: Sequence[str]) -> str:
        self.commands.append(verb)
        try:
            done = subprocess.run(
                self._argv(verb, args),
                cwd=self.directory,
                env=dict(self.env),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                errors="replace",
            )
        except OSError as error:
            raise TerraformError(f"{self.name}: cannot run {self.binary.path} {verb}: {error}") from None
        if done.returncode != 0:
            for line in done.stderr.splitlines():
                self.echo(f"[{self.name}] {line}")
            raise self._failed(verb, done.returncode)
        return done.stdout


@dataclass
class Terraform:
    """The chosen binary with the environment and output sink shared by all stacks."""

    binary: TerraformBinary
    env: Mapping[str, str]
    echo: Echo
    color: bool = False
    lock_timeout: str = "60s"

    @classmethod
    def create(
        cls,
        requested: str | None = None,
        *,
        echo: Echo,
        base_env: Mapping[str, str] | None = None,
        plugin_cache: Path | None = None,
        color: bool = False,
    ) -> "Terraform":
        base = dict(os.environ if base_env is None else base_env)
        return cls(
            binary=locate_terraform(requested, base),
            env=automation_env(base, plugin_cache),
            echo=echo,
            color=color,
        )

    def stack(self, name: str, directory: Path) -> StackTerraform:
        return StackTerraform(
            name=name,
            directory=directory,
            binary=self.binary,
            env=self.env,
            echo=self.echo,
            color=self.color,
            lock_timeout=self.lock_timeout,
        )
