"""The image definition model: the blog's file as is, every parameter set, and one problem per fault."""

from __future__ import annotations

import json

import pytest

from mdpool.imagebuild.definition import (
    FileCustomizer,
    FileValidator,
    PowerShellCustomizer,
    PowerShellValidator,
    RestartCustomizer,
    ShellCustomizer,
    ShellValidator,
    TargetRegion,
    WindowsUpdateCustomizer,
    duration_seconds,
    parse_definition,
    redact_uri,
)
from mdpool.problems import InputError
from tests.imagebuild.conftest import BLOG_IMAGE

SHA = "ade4c5214c3c675e92c66e2d067a870c5b81b9844b3de3cc72c49ff36425fc93"
REGION = [{"Name": "westeurope"}]


def problems(doc: dict | str, os_type: str | None = "Linux", **kwargs) -> list[str]:
    text = doc if isinstance(doc, str) else json.dumps(doc, indent=2)
    with pytest.raises(InputError) as error:
        parse_definition(text, label="img.json", os_type=os_type, **kwargs)
    return [str(p) for p in error.value.problems]


def one_problem(doc: dict | str, os_type: str | None = "Linux", **kwargs) -> str:
    found = problems(doc, os_type, **kwargs)
    assert len(found) == 1, found
    return found[0]


def linux(*customizers: dict, **top) -> dict:
    return {"TargetRegion": REGION, "Customizers": list(customizers), **top}


def test_the_blogs_file_is_accepted_as_is():
    definition = parse_definition(BLOG_IMAGE, label="blog.json", os_type="Linux")
    assert definition.disk_size_gib == 256
    assert definition.target_regions == (TargetRegion("westeurope", 1, "Standard_LRS"),)
    first, second = definition.customizers
    assert isinstance(first, ShellCustomizer) and first.name == "UpdateAndUpgradeUbuntu"
    assert first.inline[-1] == "sudo apt update -y && sudo apt upgrade -y"
    assert second.name == "InstallPwsh" and len(second.inline) == 7
    assert definition.source.line_of(("Customizers", 1, "Inline", 3)) == 27


def test_the_blogs_elision_placeholder_is_reported_at_its_line():
    text = BLOG_IMAGE.replace(
        '    {\n      "ShellCustomizer": true,\n      "Name": "InstallPwsh"',
        '    {"...": "..."},\n    {\n      "ShellCustomizer": true,\n      "Name": "InstallPwsh"',
    )
    found = problems(text)
    assert found == [
        "img.json:20: Customizers[1]: a step needs exactly one of ShellCustomizer, PowerShellCustomizer, "
        "FileCustomizer, RestartCustomizer, WindowsUpdateCustomizer set to true (found none)"
    ]


def test_every_parameter_set_with_all_its_parameters_on_windows():
    doc = {
        "DiskSizeGiB": 0,
        "TargetRegion": [
            {"Name": "westeurope", "ReplicaCount": 2, "StorageAccountType": "Premium_LRS"},
            {"Name": "northeurope", "ReplicaCount": "1", "StorageAccountType": "Standard_ZRS"},
        ],
        "Customizers": [
            {
                "PowerShellCustomizer": True,
                "Name": "ps",
                "ScriptUri": "https://example.com/a.ps1",
                "Sha256Checksum": SHA.upper(),
                "RunElevated": True,
                "RunAsSystem": True,
                "ValidExitCode": [0, 3010],
            },
            {"PowerShellCustomizer": True, "Name": "ps-inline", "Inline": ["Write-Output hi"]},
            {
                "FileCustomizer": True,
                "Name": "file",
                "SourceUri": "https://example.com/f.zip",
                "Destination": "C:\\temp\\f.zip",
                "Sha256Checksum": SHA,
            },
            {
                "RestartCustomizer": True,
                "Name": "restart",
                "RestartCommand": "shutdown /r /f /t 0",
                "RestartCheckCommand": "echo restarted",
                "RestartTimeout": "10m",
            },
            {
                "WindowsUpdateCustomizer": True,
                "Name": "updates",
                "Filter": ["exclude:$_.Title -like '*Preview*'", "include:$true"],
                "SearchCriterion": "IsInstalled=0",
                "UpdateLimit": 20,
            },
        ],
        "Validators": [
            {
                "PowerShellValidator": True,
                "Name": "check",
                "Inline": ["Get-Command git"],
                "RunElevated": True,
                "RunAsSystem": False,
                "ValidExitCode": 0,
            },
            {"FileValidator": True, "Name": "fetch", "SourceUri": "https://example.com/v.ps1", "Destination": "C:\\v.ps1"},
        ],
        "ValidateContinueDistributeOnFailure": False,
        "ValidateSourceValidationOnly": False,
        "ErrorHandlingOnCustomizerError": "abort",
        "ErrorHandlingOnValidationError": "Cleanup",
    }
    definition = parse_definition(json.dumps(doc), label="win.json", os_type="Windows", timeout_minutes=120)
    ps, ps_inline, file, restart, updates = definition.customizers
    assert ps == PowerShellCustomizer(
        name="ps",
        script_uri="https://example.com/a.ps1",
        sha256_checksum=SHA,
        run_elevated=True,
        run_as_system=True,
        valid_exit_codes=(0, 3010),
    )
    assert ps_inline.inline == ("Write-Output hi",)
    assert file == FileCustomizer(
        name="file", source_uri="https://example.com/f.zip", destination="C:\\temp\\f.zip", sha256_checksum=SHA
    )
    assert restart == RestartCustomizer(
        name="restart", restart_command="shutdown /r /f /t 0", restart_check_command="echo restarted", restart_timeout="10m"
    )
    assert updates.update_limit == 20 and updates.search_criterion == "IsInstalled=0" and len(updates.filters) == 2
    assert isinstance(updates, WindowsUpdateCustomizer)
    check, fetch = definition.validators
    assert isinstance(check, PowerShellValidator) and check.valid_exit_codes == (0,)
    assert isinstance(fetch, FileValidator)
    assert definition.on_customizer_error == "abort" and definition.on_validation_error == "cleanup"
    assert definition.target_regions[1] == TargetRegion("northeurope", 1, "Standard_ZRS")


def test_shell_parameter_sets_and_validator_on_linux():
    doc = linux(
        {"ShellCustomizer": True, "Name": "remote", "ScriptUri": "https://example.com/s.sh", "Sha256Checksum": SHA},
        {"FileCustomizer": True, "Name": "f", "SourceUri": "https://example.com/x", "Destination": "/tmp/x"},
        Validators=[{"ShellValidator": True, "Name": "v", "Inline": ["git --version"]}],
    )
    definition = parse_definition(json.dumps(doc), label="l.json", os_type="Linux")
    assert definition.customizers[0] == ShellCustomizer(name="remote", script_uri="https://example.com/s.sh", sha256_checksum=SHA)
    assert definition.validators == (ShellValidator(name="v", inline=("git --version",)),)


def test_keys_match_without_regard_to_case_like_powershell_binding():
    doc = {
        "diskSizeGiB": 30,
        "targetRegion": [{"name": "westeurope"}],
        "customizers": [{"shellCustomizer": True, "name": "x", "inline": "echo one string"}],
    }
    definition = parse_definition(json.dumps(doc), label="c.json", os_type="Linux")
    assert definition.customizers[0].inline == ("echo one string",)


def test_unknown_key_suggests_the_close_one():
    found = one_problem(linux({"ShellCustomizer": True, "Name": "x", "Inlin": ["echo"]}))
    assert (
        "Customizers[0].Inlin: unknown key 'Inlin' (did you mean 'Inline'?); ShellCustomizer takes Name, Inline, "
        "ScriptUri, Sha256Checksum" in found
    )
    assert "img.json:" in found


def test_unknown_top_level_key_and_switch_typo():
    found = problems({"TargetRegions": REGION, "Customizers": [{"ShelCustomizer": True, "Inline": ["x"]}]})
    assert any("TargetRegions: unknown key 'TargetRegions' (did you mean 'TargetRegion'?)" in p for p in found)
    assert any("(did you mean 'ShellCustomizer'?)" in p for p in found)
    assert any("TargetRegion is missing" in p for p in found)


def test_parameter_of_another_set_is_named_as_such():
    found = one_problem(linux({"ShellCustomizer": True, "Name": "x", "Inline": ["echo"], "RunElevated": True}))
    assert "'RunElevated' is a parameter of PowerShellCustomizer, not of ShellCustomizer" in found


@pytest.mark.parametrize(
    "step, expected",
    [
        ({"ShellCustomizer": True, "Name": "x"}, "ShellCustomizer needs exactly one of Inline (commands) or ScriptUri"),
        ({"ShellCustomizer": True, "Name": "x", "Inline": ["a"], "ScriptUri": "https://e.com/s"}, "it has both"),
        (
            {"ShellCustomizer": True, "Name": "x", "Inline": ["a"], "Sha256Checksum": SHA},
            "Sha256Checksum checks the file at ScriptUri",
        ),
        ({"FileCustomizer": True, "Name": "x", "Destination": "/tmp/x"}, "FileCustomizer needs SourceUri"),
        ({"FileCustomizer": True, "Name": "x", "SourceUri": "https://e.com/x"}, "FileCustomizer needs Destination"),
        (
            {"FileCustomizer": True, "Name": "x", "SourceUri": "https://e.com/x", "Destination": "tmp/x"},
            "not an absolute Linux path",
        ),
        ({"ShellCustomizer": False, "Name": "x", "Inline": ["a"]}, "must be true (it selects the ShellCustomizer parameter set)"),
        ({"ShellCustomizer": True, "FileCustomizer": True}, "(found ShellCustomizer, FileCustomizer)"),
        ({"ShellCustomizer": True, "Name": "", "Inline": ["a"]}, "Customizers[0].Name: must be a non-empty string"),
        ({"ShellCustomizer": True, "Name": "x", "Inline": {}}, "Inline: must be a list of strings"),
        ({"ShellCustomizer": True, "Name": "x", "Inline": ["ok", 3]}, "Inline[1]: must be a string"),
    ],
)
def test_what_azure_requires_of_a_parameter_set(step, expected):
    assert any(expected in p for p in problems(linux(step))), problems(linux(step))


@pytest.mark.parametrize(
    "switch, extra",
    [
        ("PowerShellCustomizer", {"Inline": ["Write-Output hi"]}),
        ("RestartCustomizer", {}),
        ("WindowsUpdateCustomizer", {}),
    ],
)
def test_windows_only_customizers_are_refused_in_a_linux_image(switch, extra):
    found = one_problem(linux({switch: True, "Name": "w", **extra}))
    assert f"Customizers[0].{switch}: {switch} runs on Windows only and this image is Linux; use " in found


def test_shell_steps_are_refused_in_a_windows_image():
    doc = {
        "TargetRegion": REGION,
        "Customizers": [{"ShellCustomizer": True, "Name": "s", "Inline": ["ls"]}],
        "Validators": [{"ShellValidator": True, "Name": "v", "Inline": ["ls"]}],
    }
    found = problems(doc, os_type="Windows")
    assert len(found) == 2 and all("runs on Linux only and this image is Windows" in p for p in found)


def test_a_uri_with_a_trailing_newline_is_refused():
    found = one_problem(linux({"ShellCustomizer": True, "Name": "x", "ScriptUri": "https://example.com/s.sh\n"}))
    assert "is not an https:// URL" in found


def test_plain_http_is_refused_and_a_sas_token_is_never_printed():
    found = one_problem(linux({"ShellCustomizer": True, "Name": "x", "ScriptUri": "http://user:pw@example.com/s.sh?sig=SECRET"}))
    assert "is not an https:// URL" in found and "SECRET" not in found and "pw@" not in found
    assert redact_uri("https://a.blob.core.windows.net/c/s.sh?sv=1&sig=abc") == "https://a.blob.core.windows.net/c/s.sh?..."


@pytest.mark.parametrize("value", ["abc", SHA[:-1], SHA + "0", "g" * 64, 123, SHA + "\n"])
def test_checksum_must_be_64_hex_digits(value):
    found = one_problem(linux({"ShellCustomizer": True, "Name": "x", "ScriptUri": "https://e.com/s.sh", "Sha256Checksum": value}))
    assert "Sha256Checksum: is not a SHA-256 checksum" in found


@pytest.mark.parametrize(
    "timeout, expected",
    [
        ("5 minutes", "is not a duration"),
        ("5m\n", "is not a duration"),  # the whole value: a trailing newline is refused
        ("0s", "outside Azure's limits"),
        ("17h", "outside Azure's limits"),
        ("2h", "is longer than the build's timeout (60 minutes)"),
    ],
)
def test_restart_timeout_within_azure_limits_and_the_build_timeout(timeout, expected):
    doc = {"TargetRegion": REGION, "Customizers": [{"RestartCustomizer": True, "Name": "r", "RestartTimeout": timeout}]}
    assert expected in one_problem(doc, os_type="Windows", timeout_minutes=60)


def test_duration_parsing():
    assert duration_seconds("1h30m") == 5400 and duration_seconds("90s") == 90 and duration_seconds("500ms") == 0.5


def test_powershell_run_as_system_needs_run_elevated():
    doc = {
        "TargetRegion": REGION,
        "Customizers": [{"PowerShellCustomizer": True, "Name": "p", "Inline": ["x"], "RunAsSystem": True}],
    }
    assert "RunAsSystem needs RunElevated set to true" in one_problem(doc, os_type="Windows")


@pytest.mark.parametrize(
    "top, expected",
    [
        ({"DiskSizeGiB": 5000}, "DiskSizeGiB: 5000 is not a valid OS disk size in GiB"),
        ({"DiskSizeGiB": "big"}, "DiskSizeGiB: 'big' is not a valid OS disk size"),
        ({"TargetRegion": [{"Name": "West Europe"}]}, "is not an Azure region name"),
        ({"TargetRegion": [{"Name": "westeurope", "ReplicaCount": 0}]}, "ReplicaCount: 0 is not a valid replica count"),
        ({"TargetRegion": [{"Name": "westeurope", "StorageAccountType": "Premium_ZRS"}]}, "'Premium_ZRS' is not allowed"),
        ({"TargetRegion": [{"Name": "westeurope"}, {"Name": "westeurope"}]}, "region 'westeurope' is listed twice"),
        ({"TargetRegion": []}, "must be a non-empty list of regions"),
        ({"Customizers": {}}, "Customizers: must be a list of objects"),
        ({"ErrorHandlingOnCustomizerError": "abrot"}, "'abrot' is not allowed (did you mean 'abort'?); allowed: cleanup, abort"),
        (
            {"ValidateContinueDistributeOnFailure": "yes", "Validators": [{"ShellValidator": True, "Inline": ["x"]}]},
            "must be true or false",
        ),
    ],
)
def test_top_level_values(top, expected):
    doc = {**linux({"ShellCustomizer": True, "Name": "x", "Inline": ["echo"]}), **top}
    assert any(expected in p for p in problems(doc)), problems(doc)


def test_duplicate_keys_are_errors():
    text = (
        '{"TargetRegion": [{"Name": "westeurope"}],\n "Customizers": [\n'
        ' {"ShellCustomizer": true, "Name": "a", "Inline": ["x"], "Inline": ["y"]},\n'
        ' {"ShellCustomizer": true, "Name": "a", "name": "b", "Inline": ["z"]}]}\n'
    )
    found = problems(text)
    assert "img.json:3: Customizers[0].Inline: this key is written twice; keep one" in found
    assert any("'name' repeats 'Name'" in p for p in found)
    assert len(found) == 2


def test_steps_may_share_a_name_as_the_spec_allows():
    # imagebuilder.json 2025-10-01 puts no uniqueness on `name`; Microsoft's Windows example repeats one.
    doc = {
        "TargetRegion": REGION,
        "Customizers": [
            {"PowerShellCustomizer": True, "Name": "settingUpMgmtAgtPath", "Inline": ["mkdir c:\\buildActions"]},
            {"PowerShellCustomizer": True, "Name": "settingUpMgmtAgtPath", "Inline": ["echo hi"]},
        ],
    }
    definition = parse_definition(json.dumps(doc), label="img.json", os_type="Windows")
    assert [step.name for step in definition.customizers] == ["settingUpMgmtAgtPath"] * 2


@pytest.mark.parametrize("customizers", [{"Customizers": []}, {}])
def test_customizers_may_be_empty_or_left_out_as_the_spec_allows(customizers):
    # imagebuilder.json 2025-10-01: `customize` is optional and has no minimum length.
    definition = parse_definition(json.dumps({"TargetRegion": REGION, **customizers}), label="img.json")
    assert definition.customizers == ()


def test_json_syntax_errors_name_their_line():
    assert one_problem('{"TargetRegion": [],\n  "Customizers": [\n  }\n').startswith("img.json:3: not valid JSON")


def test_every_problem_at_once_one_line_each():
    doc = linux(
        {"ShellCustomizer": True, "Name": "a", "Inline": ["x"], "Bogus": 1},
        {"PowerShellCustomizer": True, "Name": "b", "ScriptUri": "http://x"},
        DiskSizeGiB=-1,
    )
    found = problems(doc)
    assert len(found) == 4 and all("\n" not in p for p in found)
    lines = [int(p.split(":")[1]) for p in found]
    assert lines == sorted(lines)  # in file order
    assert any("Bogus" in p for p in found) and any("http://x" in p for p in found)
    assert any("DiskSizeGiB: -1" in p for p in found) and any("PowerShellCustomizer runs on Windows only" in p for p in found)


def test_a_control_character_in_a_key_does_not_break_the_one_line_problem():
    # found by tests/imagebuild/test_definition_fuzz.py: a key "\n" made a two-line problem
    found = problems('{"TargetRegion": [{"Name": "westeurope"}], "\\n": null, "Bad\\u2028Key": 1}')
    assert len(found) == 2 and all("\n" not in p and "\u2028" not in p for p in found)
    assert any("\\n" in p for p in found)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("[" * 65 + "]" * 65, "nested deeper than 64 levels"),
        ('{"DiskSizeGiB": NaN}', "NaN is not a JSON value"),
        ('{"DiskSizeGiB": -Infinity}', "-Infinity is not a JSON value"),
        ('{"DiskSizeGiB": ' + "9" * 5000 + "}", "not valid JSON: Exceeds the limit"),
    ],
)
def test_the_json_reader_bounds_what_it_reads(text, expected):
    assert expected in one_problem(text)


@pytest.mark.parametrize("where", ["value", "key"])
def test_half_a_surrogate_pair_is_refused_at_its_line(where):
    # json.loads keeps "\ud800" alone as it is; `images lint` then ended in a UnicodeEncodeError traceback
    inline = '"Inline": ["echo \\ud800"]' if where == "value" else '"Inline": ["echo"], "\\udc00": 1'
    text = '{"TargetRegion": [{"Name": "westeurope"}],\n"Customizers": [{"ShellCustomizer": true, "Name": "a",\n' + inline + "}]}"
    assert one_problem(text).startswith("img.json:3: ")
    assert "holds half of a surrogate pair (\\ud800 to \\udfff) on its own" in one_problem(text)


def test_a_surrogate_pair_is_read_as_its_character():
    text = '{"TargetRegion": [{"Name": "westeurope"}], "Customizers": [{"ShellCustomizer": true, "Name": "a", '
    text += '"Inline": ["echo \\ud83d\\ude80"]}], "Bogus": 1}'
    assert "surrogate" not in one_problem(text)  # only the unknown key


def test_nesting_at_the_limit_is_read():
    assert "nested deeper" not in " ".join(problems("[" * 64 + "]" * 64))


def test_empty_lists_are_allowed_as_the_spec_allows_them():
    # imagebuilder.json 2025-10-01 sets no minItems; WindowsUpdate `filters`: "specify empty array to use the default"
    doc = {
        "TargetRegion": REGION,
        "Customizers": [
            {"PowerShellCustomizer": True, "Name": "p", "Inline": [], "ValidExitCode": []},
            {"WindowsUpdateCustomizer": True, "Name": "u", "Filter": []},
        ],
    }
    definition = parse_definition(json.dumps(doc), label="img.json", os_type="Windows")
    assert definition.customizers[0].inline == () and definition.customizers[1].filters == ()


def test_empty_strings_the_spec_names_as_defaults_are_allowed():
    doc = {
        "TargetRegion": REGION,
        "Customizers": [
            {"WindowsUpdateCustomizer": True, "Name": "u", "SearchCriterion": ""},
            {"RestartCustomizer": True, "Name": "r", "RestartCheckCommand": ""},
        ],
    }
    definition = parse_definition(json.dumps(doc), label="img.json", os_type="Windows")
    assert definition.customizers[0].search_criterion == "" and definition.customizers[1].restart_check_command == ""
    assert "RestartCommand: must be a non-empty string" in one_problem(
        {"TargetRegion": REGION, "Customizers": [{"RestartCustomizer": True, "RestartCommand": " "}]}, os_type="Windows"
    )
