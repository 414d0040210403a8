"""Before Terraform runs on a synthesized output mdpool did not just write: only what mdpool writes.

`plan/deploy --no-synth` and `deploy --plan` take the output folder as they find it, and Terraform
runs whatever a `*.tf.json` holds: a `local-exec` provisioner, `data "external"`, an `http` data
source, a module from anywhere or a provider from another source all run code or reach out at plan
time. So every stack file is checked against what mdpool itself synthesizes: the top-level blocks,
the resource and data source types, the providers and their sources, the backends, and no
provisioner or connection anywhere. The sets below are exactly what the example and the full test
config synthesize to (tests/deploy/test_output_check.py synthesizes both and compares, so a construct
that starts writing a new type fails that test until the type is added here).

A stack's working directory must lie inside the output folder (mdpool.files.path_inside), and
hand-made JSON (too big, too deep, wrong types) is one line, never a traceback.

The deploy tests run the real terraform on stand-in stacks built from Terraform's `terraform_data`
resource. MDPOOL_TEST_STANDIN_STACKS=terraform_data lets that one built-in type in (and nothing else:
provisioners stay refused, so a `terraform_data` runs no code); the signal tests, which need an apply
that takes a while, spell out `terraform_data+local-exec` to also let a `local-exec` provisioner of a
`terraform_data` in. Every run that honours either says so on stderr. It exists for mdpool's own
tests; nothing in a pipeline mdpool renders sets it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

TOP_LEVEL = frozenset({"//", "terraform", "provider", "resource", "data", "output", "removed", "import", "variable"})
REMOVED_KEYS = frozenset({"from", "lifecycle"})
"""The pool stack's hand-over from azurerm: `removed { from, lifecycle { destroy = false } }` (a
`removed` block may also carry provisioners that run at destroy time: never mdpool's)."""
IMPORT_KEYS = frozenset({"to", "id", "for_each"})
VARIABLE_KEYS = frozenset({"type", "default", "description"})
"""What mdpool's variables (`import_azurerm_pool`) carry: no `validation`, whose condition could read
files (`file()`) into an error message."""
TERRAFORM_SETTINGS = frozenset({"backend", "required_providers", "required_version"})
BACKENDS = frozenset({"local", "azurerm"})
PROVIDER_SOURCES = {"azurerm": "azurerm", "azapi": "Azure/azapi"}
"""Provider local name -> its source in `required_providers` (mdpool.stacks: the cdktn bindings)."""
RESOURCE_TYPES = frozenset(
    {
        "azapi_resource",
        "azurerm_dev_center",
        "azurerm_dev_center_project",
        "azurerm_resource_group",
        "azurerm_role_assignment",
        "azurerm_role_definition",
        "azurerm_shared_image",
        "azurerm_shared_image_gallery",
        "azurerm_subnet",
        "azurerm_user_assigned_identity",
        "azurerm_virtual_network",
    }
)
DATA_TYPES = frozenset({"azapi_resource_list", "terraform_remote_state"})
NEVER_IN_A_BLOCK = ("provisioner", "connection")
"""Meta-arguments that run code or open connections (developer.hashicorp.com/terraform/language/resources/provisioners)."""

TERRAFORM_LOADS = (".tf", ".tf.json", ".tfvars", ".tfvars.json")
"""Files Terraform reads from a working directory besides the stack: configuration (every *.tf and
*.tf.json, overrides included) and variable values (developer.hashicorp.com/terraform/language/files)."""

STANDIN_ENV = "MDPOOL_TEST_STANDIN_STACKS"
STANDIN_TYPES = frozenset({"terraform_data"})
STANDIN_WITH_LOCAL_EXEC = "terraform_data+local-exec"


def standin_allowance(env: Mapping[str, str] | None = None) -> frozenset[str]:
    """What the deploy tests' stand-in stacks need, when (and only when) asked for by name: the
    `terraform_data` type, and `local-exec` (on that type only) when spelt out as well."""
    value = (os.environ if env is None else env).get(STANDIN_ENV, "")
    if value == STANDIN_WITH_LOCAL_EXEC:
        return STANDIN_TYPES | {"local-exec"}
    return STANDIN_TYPES if value == "terraform_data" else frozenset()


def _standin_local_exec(block: dict, type_: str, allowance: frozenset[str]) -> bool:
    provisioners = block.get("provisioner")
    return (
        "local-exec" in allowance
        and type_ in STANDIN_TYPES
        and isinstance(provisioners, list)
        and all(isinstance(p, dict) and set(p) == {"local-exec"} for p in provisioners)
        and "connection" not in block
    )


def stack_problems(document: Any, where: str, extra_resource_types: frozenset[str] = frozenset()) -> list[str]:
    """Why Terraform must not run on this stack document (one line each); [] when it is mdpool's kind."""
    if not isinstance(document, dict):
        return [f"{where}: not a Terraform JSON object"]
    problems = [f"{where}: top-level {key!r} is not a block mdpool writes" for key in document if key not in TOP_LEVEL]
    problems += _terraform_problems(document.get("terraform", {}), where)
    for provider in _mapping(document.get("provider", {}), f"{where}: provider", problems):
        if provider not in PROVIDER_SOURCES:
            problems.append(f"{where}: provider {provider!r} is not one mdpool configures")
    problems += _handover_problems(document, where, RESOURCE_TYPES | extra_resource_types)
    allowed = {"resource": RESOURCE_TYPES | extra_resource_types, "data": DATA_TYPES}
    for kind, types in allowed.items():
        for type_, blocks in _mapping(document.get(kind, {}), f"{where}: {kind}", problems).items():
            if type_ not in types:
                problems.append(f"{where}: {kind} type {type_!r} is not one mdpool writes")
                continue
            for name, block in _mapping(blocks, f"{where}: {kind}.{type_}", problems).items():
                if not isinstance(block, dict):
                    problems.append(f"{where}: {kind}.{type_}.{name} is not an object")
                    continue
                if not _standin_local_exec(block, type_, extra_resource_types):
                    problems += [
                        f"{where}: {kind}.{type_}.{name} has a {key!r} block; mdpool writes none"
                        for key in NEVER_IN_A_BLOCK
                        if key in block
                    ]
                if type_ == "terraform_remote_state" and block.get("backend") not in BACKENDS:
                    problems.append(f"{where}: data.terraform_remote_state.{name} reads a backend mdpool does not use")
    return problems


def _handover_problems(document: dict, where: str, resource_types: frozenset[str]) -> list[str]:
    """`removed`, `import` and `variable` blocks only in the shape mdpool writes them."""
    problems: list[str] = []
    for kind, keys in (("removed", REMOVED_KEYS), ("import", IMPORT_KEYS)):
        blocks = document.get(kind, [])
        if not isinstance(blocks, list) or not all(isinstance(block, dict) for block in blocks):
            problems.append(f"{where}: {kind} is not a list of objects")
            continue
        for block in blocks:
            problems += [f"{where}: {kind} block has {key!r}; mdpool writes none" for key in block if key not in keys]
            target = str(block.get("from" if kind == "removed" else "to", ""))
            if kind == "import" and target.split(".", 1)[0] not in resource_types:
                problems.append(f"{where}: import into {target!r}, a type mdpool does not write")
            if kind == "removed" and block.get("lifecycle") != {"destroy": False}:
                problems.append(f"{where}: removed block for {target!r} does not keep the resource (lifecycle destroy = false)")
    for name, variable in _mapping(document.get("variable", {}), f"{where}: variable", problems).items():
        if not isinstance(variable, dict):
            problems.append(f"{where}: variable.{name} is not an object")
            continue
        problems += [f"{where}: variable.{name} has {key!r}; mdpool writes none" for key in variable if key not in VARIABLE_KEYS]
    return problems


def _mapping(value: Any, what: str, problems: list[str]) -> dict:
    if isinstance(value, dict):
        return value
    problems.append(f"{what} is not an object")
    return {}


def _terraform_problems(settings: Any, where: str) -> list[str]:
    problems: list[str] = []
    settings = _mapping(settings, f"{where}: terraform", problems)
    problems += [f"{where}: terraform.{key} is not a setting mdpool writes" for key in settings if key not in TERRAFORM_SETTINGS]
    for backend in _mapping(settings.get("backend", {}), f"{where}: terraform.backend", problems):
        if backend not in BACKENDS:
            problems.append(f"{where}: terraform.backend {backend!r} is not one mdpool writes ({', '.join(sorted(BACKENDS))})")
    for name, requirement in _mapping(
        settings.get("required_providers", {}), f"{where}: terraform.required_providers", problems
    ).items():
        source = requirement.get("source") if isinstance(requirement, dict) else None
        if PROVIDER_SOURCES.get(name) != source:
            problems.append(f"{where}: terraform.required_providers.{name} (source {source!r}) is not a provider mdpool uses")
    return problems


def _other_configuration(directory: Path) -> list[str]:
    """Files beside cdk.tf.json that Terraform would load too; mdpool's own override file only in the
    one form mdpool writes (it lifts prevent_destroy, mdpool.deploy.protection)."""
    from mdpool.deploy.protection import OVERRIDE_FILE
    from mdpool.files import FileRefused, load_json_file

    problems = []
    try:
        names = sorted(entry.name for entry in directory.iterdir())
    except OSError as error:
        return [f"{directory}: cannot list it ({error.strerror or error})"]
    for name in names:
        if name == "cdk.tf.json" or not name.endswith(TERRAFORM_LOADS):
            continue
        if name == OVERRIDE_FILE:
            try:
                override = load_json_file(directory / name)
            except (OSError, FileRefused):
                override = None
            if _only_lifts_prevent_destroy(override):
                continue
        problems.append(f"{directory / name}: Terraform would load it with the stack, and mdpool did not write it; remove it")
    return problems


def _only_lifts_prevent_destroy(override: Any) -> bool:
    if not isinstance(override, dict) or set(override) != {"resource"} or not isinstance(override["resource"], dict):
        return False
    blocks = [block for by_name in override["resource"].values() if isinstance(by_name, dict) for block in by_name.values()]
    count = sum(len(by_name) if isinstance(by_name, dict) else 1 for by_name in override["resource"].values())
    return len(blocks) == count and all(block == {"lifecycle": {"prevent_destroy": False}} for block in blocks)


def check_synth_output(directories: Mapping[str, Path], root: Path) -> list[str]:
    """Every stack of an output folder checked (files read under mdpool.files' rules); the problems."""
    from mdpool.files import FileRefused, load_json_file

    extra = standin_allowance()
    if extra:
        import sys

        from mdpool.printed import echo

        echo(
            f"warning: {STANDIN_ENV} lets {', '.join(sorted(extra))} into the stacks (for mdpool's own tests only)",
            file=sys.stderr,
        )
    problems: list[str] = []
    for directory in directories.values():
        stack_file = directory / "cdk.tf.json"
        try:
            document = load_json_file(stack_file)
        except FileNotFoundError:
            problems.append(f"{stack_file}: missing; run `mdpool synth` again")
            continue
        except FileRefused as refused:
            problems.append(f"{stack_file}: {refused}; run `mdpool synth` again")
            continue
        problems += stack_problems(document, str(stack_file), extra)
        problems += _other_configuration(directory)
    if problems:
        problems.append(
            f"{root}: not an output mdpool synthesizes; Terraform was not run. Synthesize it again (without --no-synth)"
        )
    return problems
