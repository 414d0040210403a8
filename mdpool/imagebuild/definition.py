"""The image definition file in the blog's format, parsed into typed, validated objects.

The blog keeps one JSON file per image::

    {"DiskSizeGiB": 256,
     "TargetRegion": [{"Name": "westeurope", "ReplicaCount": "1", "StorageAccountType": "Standard_LRS"}],
     "Customizers": [{"ShellCustomizer": true, "Name": "...", "Inline": ["..."]}, ...]}

and splats each customizer into `New-AzImageBuilderTemplateCustomizerObject`, so a customizer's
keys are that cmdlet's parameters: a switch choosing the parameter set (ShellCustomizer,
PowerShellCustomizer, FileCustomizer, RestartCustomizer, WindowsUpdateCustomizer) and that set's
parameters. mdpool reads the same files unchanged and, like PowerShell's parameter binding, matches
keys without regard to case. On top of the blog's three keys it accepts the optional parts of
`New-AzImageBuilderTemplate` that belong to an image rather than to an environment:
`Validators` (items in the parameter sets of `New-AzImageBuilderTemplateValidatorObject`:
ShellValidator, PowerShellValidator, plus ARM's FileValidator), `ValidateContinueDistributeOnFailure`,
`ValidateSourceValidationOnly`, `ErrorHandlingOnCustomizerError` and `ErrorHandlingOnValidationError`.

Everything wrong is reported at once, one `Problem` per fault with the file's line: unknown keys
(with "did you mean"), parameters of another parameter set, what Azure requires of a set (exactly
one of Inline/ScriptUri, SourceUri and Destination for files), customizers that run on the other OS,
plain-http URIs, malformed SHA-256 checksums, timeouts beyond the build's, and numbers outside the
ranges of the Image Builder REST spec (api-version 2025-10-01, Azure/azure-rest-api-specs
specification/imagebuilder/.../stable/2025-10-01/imagebuilder.json; its integers are int32).
Where the spec is looser than a habit, the spec wins: `Customizers` may be empty or left out
(`customize` is optional) and two steps may share a name (Microsoft's own Windows example,
examples/2025-10-01/CreateImageTemplateWindows.json, repeats one).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Iterable, Mapping

from mdpool.imagebuild.jsonlines import JsonDocument, JsonSyntaxError, Loc, load_json
from mdpool.problems import InputError, Problem, nearest_line

OS_TYPES = ("Linux", "Windows")
STORAGE_ACCOUNT_TYPES = ("Standard_LRS", "Standard_ZRS", "Premium_LRS")
ERROR_HANDLING = ("cleanup", "abort")
# azure-docs articles/virtual-machines/managed-disks-overview.md: an OS disk holds at most 4,095 GiB
MAX_OS_DISK_GIB = 4095
# azure-docs articles/virtual-machines/azure-compute-gallery.md, "Limits": 100 replicas per image version
MAX_REPLICAS = 100
# imagebuilder.json 2025-10-01: ImageTemplateProperties.buildTimeoutInMinutes maximum 960
MAX_BUILD_MINUTES = 960
# imagebuilder.json 2025-10-01: every integer (validExitCodes, updateLimit, ...) is format int32
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")  # anchored for the JSON schema; used with fullmatch (no trailing newline)
_DURATION = re.compile(r"^(?:\d+(?:\.\d+)?(?:h|m|s|ms))+$")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")
_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


# --- parameters ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    """One cmdlet parameter: its JSON key, the dataclass field, the ARM property and its value kind."""

    key: str
    attr: str
    rest: str
    kind: str  # text | lines | bool | ints | count | uri | sha256 | duration


NAME = Param("Name", "name", "name", "text")
INLINE = Param("Inline", "inline", "inline", "lines")
SCRIPT_URI = Param("ScriptUri", "script_uri", "scriptUri", "uri")
SHA256 = Param("Sha256Checksum", "sha256_checksum", "sha256Checksum", "sha256")
RUN_ELEVATED = Param("RunElevated", "run_elevated", "runElevated", "bool")
RUN_AS_SYSTEM = Param("RunAsSystem", "run_as_system", "runAsSystem", "bool")
VALID_EXIT_CODE = Param("ValidExitCode", "valid_exit_codes", "validExitCodes", "ints")
SOURCE_URI = Param("SourceUri", "source_uri", "sourceUri", "uri")
DESTINATION = Param("Destination", "destination", "destination", "text")
RESTART_COMMAND = Param("RestartCommand", "restart_command", "restartCommand", "text")
RESTART_CHECK_COMMAND = Param("RestartCheckCommand", "restart_check_command", "restartCheckCommand", "text")
RESTART_TIMEOUT = Param("RestartTimeout", "restart_timeout", "restartTimeout", "duration")
FILTER = Param("Filter", "filters", "filters", "lines")
SEARCH_CRITERION = Param("SearchCriterion", "search_criterion", "searchCriteria", "text")
UPDATE_LIMIT = Param("UpdateLimit", "update_limit", "updateLimit", "count")


# --- steps: customizers and validators -------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """A customizer or in-VM validator; subclasses name their parameter set and ARM type."""

    SWITCH: ClassVar[str]
    ARM_TYPE: ClassVar[str]
    PARAMS: ClassVar[tuple[Param, ...]]
    OS_TYPES: ClassVar[tuple[str, ...]]

    name: str | None = None

    def arm(self) -> dict[str, Any]:
        """The ARM JSON of this step, with only the parameters the file set (as the cmdlet does)."""
        body: dict[str, Any] = {"type": self.ARM_TYPE}
        for param in self.PARAMS:
            value = getattr(self, param.attr)
            if value is not None:
                body[param.rest] = list(value) if isinstance(value, tuple) else value
        return body


@dataclass(frozen=True)
class ShellCustomizer(Step):
    SWITCH = "ShellCustomizer"
    ARM_TYPE = "Shell"
    PARAMS = (NAME, INLINE, SCRIPT_URI, SHA256)
    OS_TYPES = ("Linux",)
    inline: tuple[str, ...] | None = None
    script_uri: str | None = None
    sha256_checksum: str | None = None


@dataclass(frozen=True)
class PowerShellCustomizer(Step):
    SWITCH = "PowerShellCustomizer"
    ARM_TYPE = "PowerShell"
    PARAMS = (NAME, INLINE, SCRIPT_URI, SHA256, RUN_ELEVATED, RUN_AS_SYSTEM, VALID_EXIT_CODE)
    OS_TYPES = ("Windows",)
    inline: tuple[str, ...] | None = None
    script_uri: str | None = None
    sha256_checksum: str | None = None
    run_elevated: bool | None = None
    run_as_system: bool | None = None
    valid_exit_codes: tuple[int, ...] | None = None


@dataclass(frozen=True)
class FileCustomizer(Step):
    SWITCH = "FileCustomizer"
    ARM_TYPE = "File"
    PARAMS = (NAME, SOURCE_URI, DESTINATION, SHA256)
    OS_TYPES = OS_TYPES
    source_uri: str | None = None
    destination: str | None = None
    sha256_checksum: str | None = None


@dataclass(frozen=True)
class RestartCustomizer(Step):
    SWITCH = "RestartCustomizer"
    ARM_TYPE = "WindowsRestart"
    PARAMS = (NAME, RESTART_COMMAND, RESTART_CHECK_COMMAND, RESTART_TIMEOUT)
    OS_TYPES = ("Windows",)
    restart_command: str | None = None
    restart_check_command: str | None = None
    restart_timeout: str | None = None


@dataclass(frozen=True)
class WindowsUpdateCustomizer(Step):
    SWITCH = "WindowsUpdateCustomizer"
    ARM_TYPE = "WindowsUpdate"
    PARAMS = (NAME, SEARCH_CRITERION, FILTER, UPDATE_LIMIT)
    OS_TYPES = ("Windows",)
    search_criterion: str | None = None
    filters: tuple[str, ...] | None = None
    update_limit: int | None = None


# A validator takes the same parameters as the customizer of its kind; only the switch differs.
@dataclass(frozen=True)
class ShellValidator(ShellCustomizer):
    SWITCH = "ShellValidator"


@dataclass(frozen=True)
class PowerShellValidator(PowerShellCustomizer):
    SWITCH = "PowerShellValidator"


@dataclass(frozen=True)
class FileValidator(FileCustomizer):
    SWITCH = "FileValidator"


CUSTOMIZER_KINDS: tuple[type[Step], ...] = (
    ShellCustomizer,
    PowerShellCustomizer,
    FileCustomizer,
    RestartCustomizer,
    WindowsUpdateCustomizer,
)
VALIDATOR_KINDS: tuple[type[Step], ...] = (ShellValidator, PowerShellValidator, FileValidator)


@dataclass(frozen=True)
class TargetRegion:
    name: str
    replica_count: int | None = None
    storage_account_type: str | None = None

    def arm(self) -> dict[str, Any]:
        body: dict[str, Any] = {"name": self.name}
        if self.replica_count is not None:
            body["replicaCount"] = self.replica_count
        if self.storage_account_type is not None:
            body["storageAccountType"] = self.storage_account_type
        return body


@dataclass(frozen=True)
class DefinitionSource:
    """Where a definition came from, to point problems and lint findings at lines."""

    label: str
    lines: Mapping[Loc, int] = field(default_factory=dict)

    def line_of(self, loc: Loc) -> int | None:
        return nearest_line(self.lines, loc)


@dataclass(frozen=True)
class ImageDefinition:
    """One image definition file, validated: what to install and where to replicate it."""

    customizers: tuple[Step, ...]
    target_regions: tuple[TargetRegion, ...]
    disk_size_gib: int | None = None
    validators: tuple[Step, ...] = ()
    continue_distribute_on_failure: bool | None = None
    source_validation_only: bool | None = None
    on_customizer_error: str | None = None
    on_validation_error: str | None = None
    source: DefinitionSource = field(default=DefinitionSource("<definition>"), compare=False)


# --- parsing -----------------------------------------------------------------------------------------

_TOP_KEYS = (
    "DiskSizeGiB",
    "TargetRegion",
    "Customizers",
    "Validators",
    "ValidateContinueDistributeOnFailure",
    "ValidateSourceValidationOnly",
    "ErrorHandlingOnCustomizerError",
    "ErrorHandlingOnValidationError",
)
_IGNORED_KEYS = ("$schema",)  # lets editors offer completion; not part of the image
_REGION_KEYS = ("Name", "ReplicaCount", "StorageAccountType")
# imagebuilder.json 2025-10-01: searchCriteria "Omit or specify empty string to use the default";
# restartCheckCommand "[Default: '']"
_MAY_BE_EMPTY = frozenset({"SearchCriterion", "RestartCheckCommand"})


def parse_definition(
    text: str, *, label: str, os_type: str | None = None, timeout_minutes: int | None = None, line_label: str | None = None
) -> ImageDefinition:
    """Parse and validate a definition; raise InputError with every problem found.

    `label` names the file in problems; `os_type` (Linux/Windows) enables the per-OS checks;
    `timeout_minutes` is the build's timeout, which no step's own timeout may exceed.
    """
    try:
        doc = load_json(text)
    except JsonSyntaxError as error:
        raise InputError([Problem(label, error.line, "", str(error))]) from None
    parser = _Parser(doc, label, os_type, timeout_minutes)
    definition = parser.parse()
    if parser.problems:
        raise InputError(parser.problems)
    assert definition is not None
    return definition


class _Parser:
    def __init__(self, doc: JsonDocument, label: str, os_type: str | None, timeout_minutes: int | None) -> None:
        self.doc = doc
        self.label = label
        self.os_type = os_type
        self.timeout_minutes = timeout_minutes
        self.problems: list[Problem] = []
        self.source = DefinitionSource(label, dict(doc.lines))

    # -- reporting

    def problem(self, loc: Loc, message: str) -> None:
        from mdpool.yamlsource import dotted

        self.problems.append(Problem(self.label, self.doc.line_of(loc), _one_line(dotted(loc)), _one_line(message)))

    # -- the file

    def parse(self) -> ImageDefinition | None:
        for loc, line in self.doc.duplicates:
            self.problems.append(Problem(self.label, line, _one_line(_dotted(loc)), "this key is written twice; keep one"))
        data = self.doc.data
        if not isinstance(data, dict):
            self.problem((), "the file must be a JSON object with DiskSizeGiB, TargetRegion and Customizers")
            return None
        values = self.keys(data, (), _TOP_KEYS, "an image definition", ignored=_IGNORED_KEYS)
        disk = self.count(
            values, "DiskSizeGiB", (), low=0, high=MAX_OS_DISK_GIB, what="OS disk size in GiB (0 = the source image's size)"
        )
        regions = self.regions(values)
        customizers = self.steps(values, "Customizers", CUSTOMIZER_KINDS)
        validators = self.steps(values, "Validators", VALIDATOR_KINDS)
        flags = {key: self.flag(values, key) for key in ("ValidateContinueDistributeOnFailure", "ValidateSourceValidationOnly")}
        handling = {
            key: self.choice(values, key, ERROR_HANDLING)
            for key in ("ErrorHandlingOnCustomizerError", "ErrorHandlingOnValidationError")
        }
        if self.problems:
            return None
        return ImageDefinition(
            customizers=tuple(customizers),
            target_regions=tuple(regions),
            disk_size_gib=disk,
            validators=tuple(validators),
            continue_distribute_on_failure=flags["ValidateContinueDistributeOnFailure"],
            source_validation_only=flags["ValidateSourceValidationOnly"],
            on_customizer_error=handling["ErrorHandlingOnCustomizerError"],
            on_validation_error=handling["ErrorHandlingOnValidationError"],
            source=self.source,
        )

    def keys(
        self,
        data: dict[str, Any],
        loc: Loc,
        allowed: Iterable[str],
        what: str,
        ignored: Iterable[str] = (),
        foreign: Mapping[str, list[str]] | None = None,
    ) -> dict[str, tuple[Loc, Any]]:
        """Match keys case-insensitively (as PowerShell binds parameters); report unknown ones."""
        allowed = tuple(allowed)
        canonical = {key.lower(): key for key in allowed}
        ignored_lower = {key.lower() for key in ignored}
        listed = ", ".join(key for key in allowed if key != what)
        found: dict[str, tuple[Loc, Any]] = {}
        for key, value in data.items():
            key_loc = (*loc, key)
            name = canonical.get(key.lower())
            if name is None:
                if key.lower() in ignored_lower:
                    continue
                owners = (foreign or {}).get(key.lower())
                if owners:
                    self.problem(
                        key_loc, f"{key!r} is a parameter of {' and '.join(owners)}, not of {what}; {what} takes {listed}"
                    )
                    continue
                self.problem(key_loc, f"unknown key {key!r}{_did_you_mean(key, allowed)}; {what} takes {listed}")
                continue
            if name in found:
                self.problem(key_loc, f"{key!r} repeats {name!r} (keys are matched without regard to case); keep one")
                continue
            found[name] = (key_loc, value)
        return found

    def regions(self, values: dict[str, tuple[Loc, Any]]) -> list[TargetRegion]:
        if "TargetRegion" not in values:
            self.problem(
                (),
                "TargetRegion is missing; list the regions to replicate the image version to, "
                'e.g. [{"Name": "westeurope", "ReplicaCount": 1, "StorageAccountType": "Standard_LRS"}]',
            )
            return []
        loc, raw = values["TargetRegion"]
        items = [raw] if isinstance(raw, dict) else raw
        if not isinstance(items, list) or not items:
            self.problem(loc, "must be a non-empty list of regions ({Name, ReplicaCount, StorageAccountType})")
            return []
        regions: list[TargetRegion] = []
        seen: set[str] = set()
        for index, item in enumerate(items):
            item_loc = (*loc, index) if isinstance(raw, list) else loc
            if not isinstance(item, dict):
                self.problem(item_loc, "must be an object with Name, ReplicaCount and StorageAccountType")
                continue
            fields_ = self.keys(item, item_loc, _REGION_KEYS, "a TargetRegion")
            name = self.text(fields_, "Name", item_loc, required=True)
            if name is not None and not re.fullmatch(r"[a-z][a-z0-9]+", name):
                self.problem(
                    fields_["Name"][0],
                    f"{name!r} is not an Azure region name; write it in lowercase without spaces, e.g. westeurope",
                )
            if name is not None:
                if name in seen:
                    self.problem(fields_["Name"][0], f"region {name!r} is listed twice")
                seen.add(name)
            replicas = self.count(fields_, "ReplicaCount", item_loc, low=1, high=MAX_REPLICAS, what="replica count")
            storage = self.choice(fields_, "StorageAccountType", STORAGE_ACCOUNT_TYPES, loc=item_loc)
            if name is not None:
                regions.append(TargetRegion(name=name, replica_count=replicas, storage_account_type=storage))
        return regions

    def steps(self, values: dict[str, tuple[Loc, Any]], key: str, kinds: tuple[type[Step], ...]) -> list[Step]:
        """A list of steps; optional and possibly empty, with names that may repeat, as the spec allows."""
        if key not in values:
            return []
        loc, raw = values[key]
        if not isinstance(raw, list):
            self.problem(loc, "must be a list of objects")
            return []
        steps: list[Step] = []
        for index, item in enumerate(raw):
            step = self.step((*loc, index), item, kinds)
            if step is not None:
                steps.append(step)
        return steps

    def step(self, loc: Loc, item: Any, kinds: tuple[type[Step], ...]) -> Step | None:
        switches = ", ".join(kind.SWITCH for kind in kinds)
        if not isinstance(item, dict):
            self.problem(loc, f"must be an object with one of {switches} set to true")
            return None
        by_switch = {kind.SWITCH.lower(): kind for kind in kinds}
        chosen = [(key, value) for key, value in item.items() if key.lower() in by_switch]
        if len(chosen) != 1:
            found = f"found {', '.join(k for k, _ in chosen)}" if chosen else "found none"
            known = {param.key.lower() for kind in kinds for param in kind.PARAMS}
            guesses = [_did_you_mean(key, [kind.SWITCH for kind in kinds]) for key in item if key.lower() not in known]
            guess = next((g for g in guesses if g), "")
            self.problem(loc, f"a step needs exactly one of {switches} set to true ({found}){guess}")
            return None
        switch_key, switch_value = chosen[0]
        kind = by_switch[switch_key.lower()]
        if switch_value is not True:
            self.problem((*loc, switch_key), f"must be true (it selects the {kind.SWITCH} parameter set)")
            return None
        allowed = [kind.SWITCH] + [param.key for param in kind.PARAMS]
        foreign: dict[str, list[str]] = {}
        for other in kinds:
            if other is kind:
                continue
            for param in other.PARAMS:
                if param.key not in allowed:
                    foreign.setdefault(param.key.lower(), []).append(other.SWITCH)
        values = self.keys(item, loc, allowed, kind.SWITCH, foreign=foreign)
        kwargs: dict[str, Any] = {}
        for param in kind.PARAMS:
            kwargs[param.attr] = self.param(values, param, loc)
        step = kind(**kwargs)
        # A misspelt key already has its problem ("did you mean 'Inline'?"): count it as present so
        # the same mistake is not reported a second time as a missing parameter.
        present = set(values) | {_closest(key, allowed) for key in item if key.lower() not in {a.lower() for a in allowed}} - {
            None
        }
        self.step_rules(step, values, loc, present)  # type: ignore[arg-type]
        return step

    def step_rules(self, step: Step, values: dict[str, tuple[Loc, Any]], loc: Loc, present: set[str]) -> None:
        """What Azure requires of a parameter set beyond the types of its parameters."""
        kind = type(step)
        at = lambda key: values[key][0] if key in values else loc  # noqa: E731
        if self.os_type and self.os_type not in kind.OS_TYPES:
            self.problem(
                at(kind.SWITCH),
                f"{kind.SWITCH} runs on {' and '.join(kind.OS_TYPES)} only and this image is {self.os_type}; "
                f"use {_os_alternative(kind, self.os_type)}",
            )
        # Presence, not validity, decides these: a bad value is already reported at its own key.
        if "inline" in {f.name for f in fields(step)}:
            inline, script = "Inline" in present, "ScriptUri" in present
            if inline == script:
                self.problem(
                    loc,
                    f"{kind.SWITCH} needs exactly one of Inline (commands) or ScriptUri (a script to download)"
                    + ("; it has both" if inline else ""),
                )
            if "Sha256Checksum" in present and not script:
                self.problem(at("Sha256Checksum"), "Sha256Checksum checks the file at ScriptUri; it needs ScriptUri")
        if isinstance(step, (FileCustomizer, FileValidator)):
            for key in ("SourceUri", "Destination"):
                if key not in present:
                    self.problem(loc, f"{kind.SWITCH} needs {key}")
            if step.destination is not None and self.os_type:
                windows = re.match(r"^[A-Za-z]:[\\/]", step.destination) is not None
                if self.os_type == "Linux" and not step.destination.startswith("/"):
                    self.problem(at("Destination"), f"{step.destination!r} is not an absolute Linux path; write e.g. /tmp/file")
                if self.os_type == "Windows" and not windows:
                    self.problem(
                        at("Destination"), f"{step.destination!r} is not an absolute Windows path; write e.g. C:\\temp\\file"
                    )
        if isinstance(step, (PowerShellCustomizer, PowerShellValidator)):
            if step.run_as_system and not step.run_elevated:
                self.problem(at("RunAsSystem"), "RunAsSystem needs RunElevated set to true")
        if isinstance(step, RestartCustomizer) and step.restart_timeout is not None and self.timeout_minutes:
            seconds = duration_seconds(step.restart_timeout)
            if seconds > self.timeout_minutes * 60:
                self.problem(
                    at("RestartTimeout"),
                    f"{step.restart_timeout!r} is longer than the build's timeout ({self.timeout_minutes} minutes); shorten it",
                )

    # -- values

    def param(self, values: dict[str, tuple[Loc, Any]], param: Param, parent: Loc) -> Any:
        if param.kind == "text":
            return self.text(values, param.key, parent)
        if param.kind == "lines":
            return self.lines(values, param.key)
        if param.kind == "bool":
            return self.flag(values, param.key)
        if param.kind == "ints":
            return self.ints(values, param.key)
        if param.kind == "count":
            return self.count(values, param.key, parent, low=0, high=INT32_MAX, what="count (0 = Azure's default)")
        if param.kind == "uri":
            return self.uri(values, param.key)
        if param.kind == "sha256":
            return self.sha256(values, param.key)
        if param.kind == "duration":
            return self.duration(values, param.key)
        raise AssertionError(param.kind)

    def text(self, values: dict[str, tuple[Loc, Any]], key: str, parent: Loc, required: bool = False) -> str | None:
        if key not in values:
            if required:
                self.problem(parent, f"{key} is missing")
            return None
        loc, value = values[key]
        if not isinstance(value, str):
            self.problem(loc, "must be a string")
            return None
        if not value.strip() and key not in _MAY_BE_EMPTY:
            self.problem(loc, "must be a non-empty string")
            return None
        return value

    def lines(self, values: dict[str, tuple[Loc, Any]], key: str) -> tuple[str, ...] | None:
        if key not in values:
            return None
        loc, value = values[key]
        items = [value] if isinstance(value, str) else value  # PowerShell binds one string to string[] too
        # An empty list is allowed: the spec sets no minimum (its WindowsUpdate `filters` says "specify
        # empty array to use the default"), and Packer's shell provisioners only require `inline` to be set.
        if not isinstance(items, list):
            self.problem(loc, "must be a list of strings")
            return None
        bad = [i for i, item in enumerate(items) if not isinstance(item, str)]
        for index in bad:
            self.problem((*loc, index), "must be a string")
        return None if bad else tuple(items)

    def flag(self, values: dict[str, tuple[Loc, Any]], key: str) -> bool | None:
        if key not in values:
            return None
        loc, value = values[key]
        if not isinstance(value, bool):
            self.problem(loc, "must be true or false (JSON booleans, without quotes)")
            return None
        return value

    def ints(self, values: dict[str, tuple[Loc, Any]], key: str) -> tuple[int, ...] | None:
        if key not in values:
            return None
        loc, value = values[key]
        items = [value] if isinstance(value, int) and not isinstance(value, bool) else value
        if not isinstance(items, list) or any(isinstance(i, bool) or not isinstance(i, int) for i in items):
            self.problem(loc, "must be a list of whole numbers (exit codes), e.g. [0, 3010]")
            return None
        out_of_range = [i for i in items if not INT32_MIN <= i <= INT32_MAX]
        if out_of_range:
            self.problem(
                loc,
                f"{out_of_range[0]} is out of range; allowed: whole numbers from {INT32_MIN} to {INT32_MAX} (the spec's int32)",
            )
            return None
        return tuple(items)

    def count(self, values: dict[str, tuple[Loc, Any]], key: str, parent: Loc, *, low: int, high: int, what: str) -> int | None:
        if key not in values:
            return None
        loc, value = values[key]
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and re.fullmatch(r"[0-9]{1,12}", value.strip()):
            number = int(value)  # PowerShell converts "1" to 1 when binding; the blog writes "1"
        if number is None or not low <= number <= high:
            self.problem(loc, f"{value!r} is not a valid {what}; allowed: a whole number from {low} to {high}")
            return None
        return number

    def choice(self, values: dict[str, tuple[Loc, Any]], key: str, allowed: tuple[str, ...], loc: Loc = ()) -> str | None:
        if key not in values:
            return None
        key_loc, value = values[key]
        if isinstance(value, str):
            for option in allowed:
                if option.lower() == value.lower():
                    return option
        self.problem(key_loc, f"{value!r} is not allowed{_did_you_mean(str(value), allowed)}; allowed: {', '.join(allowed)}")
        return None

    def uri(self, values: dict[str, tuple[Loc, Any]], key: str) -> str | None:
        if key not in values:
            return None
        loc, value = values[key]
        if not isinstance(value, str) or not re.fullmatch(r"https://[^\s/?#]+(?:[/?#]\S*)?", value):
            shown = redact_uri(value) if isinstance(value, str) else repr(value)
            self.problem(
                loc,
                f"{shown!r} is not an https:// URL; Azure Image Builder downloads it during the build, so only https is allowed",
            )
            return None
        return value

    def sha256(self, values: dict[str, tuple[Loc, Any]], key: str) -> str | None:
        if key not in values:
            return None
        loc, value = values[key]
        if not isinstance(value, str) or not _SHA256.fullmatch(value):
            self.problem(loc, "is not a SHA-256 checksum; write the 64 hex digits that `sha256sum FILE` prints")
            return None
        return value.lower()

    def duration(self, values: dict[str, tuple[Loc, Any]], key: str) -> str | None:
        if key not in values:
            return None
        loc, value = values[key]
        if not isinstance(value, str) or not _DURATION.fullmatch(value):
            self.problem(loc, f"{value!r} is not a duration; write a magnitude and unit, e.g. 5m, 90s or 1h30m")
            return None
        seconds = duration_seconds(value)
        if seconds <= 0 or seconds > MAX_BUILD_MINUTES * 60:
            self.problem(
                loc,
                f"{value!r} is outside Azure's limits; allowed: more than 0 and at most "
                f"{MAX_BUILD_MINUTES // 60}h (the longest build)",
            )
            return None
        return value


def duration_seconds(text: str) -> float:
    """'1h30m' -> 5400.0 (Packer's Go-style durations)."""
    return sum(float(number) * _SECONDS[unit] for number, unit in _DURATION_PART.findall(text))


def redact_uri(uri: str) -> str:
    """Drop the query (a SAS token is a secret) and any user info before showing a URL."""
    uri = re.sub(r"^(\w+://)[^/@]*@", r"\1", uri)
    return uri.split("?", 1)[0] + ("?..." if "?" in uri else "")


def _closest(key: str, allowed: Iterable[str]) -> str | None:
    lower = {option.lower(): option for option in allowed}
    close = difflib.get_close_matches(key.lower(), list(lower), n=1, cutoff=0.6)
    return lower[close[0]] if close else None


def _did_you_mean(key: str, allowed: Iterable[str]) -> str:
    close = _closest(key, allowed)
    return f" (did you mean {close!r}?)" if close else ""


def _dotted(loc: Loc) -> str:
    from mdpool.yamlsource import dotted

    return dotted(loc)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _one_line(text: str) -> str:
    """A problem is one line: control characters from a key or value (a newline in a key) are escaped."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _os_alternative(kind: type[Step], os_type: str) -> str:
    if os_type == "Linux":
        return {
            "PowerShellCustomizer": "a ShellCustomizer (install pwsh and call `pwsh -c` from it, as the blog does)",
            "RestartCustomizer": "a ShellCustomizer that reboots only if you must (Linux builds rarely need one)",
            "WindowsUpdateCustomizer": "a ShellCustomizer with apt-get upgrade",
            "PowerShellValidator": "a ShellValidator",
        }.get(kind.SWITCH, "a Linux step")
    return {"ShellCustomizer": "a PowerShellCustomizer", "ShellValidator": "a PowerShellValidator"}.get(
        kind.SWITCH, "a Windows step"
    )
