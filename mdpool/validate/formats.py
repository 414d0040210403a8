"""Forms of values Azure (and the azurerm provider, which checks them at plan time) accepts.

Each function returns what is wrong with a value, or None when it is accepted, and names its source:
mostly the provider's ValidateFunc (hashicorp/terraform-provider-azurerm, or the go-azure-helpers
module it vendors), re-expressed in Python. All patterns are matched against the WHOLE value
(`re.fullmatch`), so a trailing newline is never accepted.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import urlsplit

# The one GUID pattern of mdpool (subscription, tenant and object ids); match it with fullmatch.
GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def https_url_problem(value: str) -> str | None:
    """terraform-plugin-sdk helper/validation/web.go IsURLWithScheme(["https"]): parses, has a host, https."""
    if not value:
        return "must not be empty; allowed: an https:// URL"
    if _CONTROL.search(value) or " " in value:
        return "contains spaces or control characters; allowed: an https:// URL"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises ValueError on a bad port, as Go's url.Parse does)
    except ValueError:
        return "is not a URL; allowed: an https:// URL"
    if parts.scheme != "https":
        return "must be an https:// URL"
    if not parts.hostname:
        return "has no host; allowed: an https:// URL such as https://dev.azure.com/org"
    return None


# Go's net/mail ParseAddress (the provider's validation.IsEmailAddress): an addr-spec `local@domain`,
# optionally as `Display Name <local@domain>`. Atoms may hold UTF-8 letters, as Go allows.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-\u0080-\U0010ffff]"
_DOT_ATOM = rf"{_ATEXT}+(?:\.{_ATEXT}+)*"
_QUOTED = r'"(?:[^"\\\r\n]|\\.)*"'
_ADDR_SPEC = rf"(?:{_DOT_ATOM}|{_QUOTED})@(?:{_DOT_ATOM}|\[[^\[\]\\\r\n]*\])"
_EMAIL = rf"{_ADDR_SPEC}|(?:[^<>\r\n]*)<{_ADDR_SPEC}>"


@functools.cache
def _email() -> re.Pattern[str]:
    """_EMAIL compiled when first needed: its character ranges up to U+10FFFF take tens of
    milliseconds to compile, which every `mdpool validate` would pay for a config without e-mail."""
    return re.compile(_EMAIL)


def email_problem(value: str) -> str | None:
    """azurerm internal/tf/validation/pluginsdk.go IsEmailAddress (Go net/mail.ParseAddress)."""
    if not _email().fullmatch(value.strip(" \t")) or "\n" in value or "\r" in value:
        return f"{value!r} is not an e-mail address; allowed: an address such as ops@contoso.com"
    return None


def resource_id_problem(value: str) -> str | None:
    """azurerm helpers/azure/resourceid.go ParseAzureResourceID (behind azure.ValidateResourceID).

    A path of key/value pairs: an even number of non-empty segments, one of them the key
    `subscriptions` (spelt exactly so), no control characters (Go's url.ParseRequestURI).
    """
    if not value.startswith("/"):
        return "must start with /subscriptions/...; allowed: an Azure resource id"
    if _CONTROL.search(value) or "?" in value or "#" in value:
        return "contains control characters, ? or #; allowed: an Azure resource id"
    segments = value.strip("/").split("/")
    if len(segments) % 2:
        return "has an odd number of path segments; allowed: an Azure resource id of key/value pairs"
    if any(not segment for segment in segments):
        return "has an empty path segment (//); allowed: an Azure resource id"
    if "subscriptions" not in segments[0::2]:
        return "names no subscription (no /subscriptions/<id> segment, spelt in lower case)"
    return None


def arm_id_problem(value: str, form: str) -> str | None:
    """go-azure-helpers resourceids Parser.Parse (case-sensitive): `value` against `form`.

    `form` spells the id with `{}` for each name, e.g. the subnet id of
    commonids.ValidateSubnetID: /subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/
    virtualNetworks/{}/subnets/{}. Fixed segments must match exactly, case included.
    """
    expected = form.strip("/").split("/")
    if not value.startswith("/") or value.endswith("/"):
        return _shape(form)
    actual = value[1:].split("/")
    if len(actual) != len(expected):
        return _shape(form)
    for want, got in zip(expected, actual):
        if want == "{}":
            if not got or _CONTROL.search(got):
                return _shape(form)
        elif want != got:
            return f"segment {got!r} must be spelt {want!r}; allowed: {_readable(form)}"
    return None


def _shape(form: str) -> str:
    return f"is not in the form {_readable(form)}"


def _readable(form: str) -> str:
    names = iter(("<subscription>", "<resource group>", "<name>", "<name>", "<name>"))
    return re.sub(r"\{\}", lambda _: next(names), form)


SUBNET_ID = "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/virtualNetworks/{}/subnets/{}"
USER_ASSIGNED_IDENTITY_ID = "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{}"


def key_vault_secret_id_problem(value: str) -> str | None:
    """go-azure-helpers keyvault/nested_item.go ValidateNestedItemID(VersionTypeVersionless, NestedItemTypeSecret).

    `https://<vault>.vault.azure.net/secrets/<name>`: exactly two path segments, the first `secrets`.
    """
    allowed = "allowed: a versionless Key Vault secret id such as https://<vault>.vault.azure.net/secrets/<name>"
    if _CONTROL.search(value) or " " in value:
        return f"contains spaces or control characters; {allowed}"
    try:
        path = urlsplit(value).path
    except ValueError:
        return f"is not a URL; {allowed}"
    segments = path.strip("/").split("/")
    if len(segments) == 3:
        return f"names a version; {allowed}"
    if len(segments) != 2:
        return f"has {len(segments)} path segments; {allowed}"
    if segments[0] != "secrets":
        return f"is a {segments[0]!r} id, not a secret id; {allowed}"
    return None


_PROJECT_FORBIDDEN = re.compile(r"[\\/:*?\"'<>;#$*{}+=\[\]|,\x00-\x1f\x7f]")
_PROJECT_RESERVED = {
    name.lower()
    for name in (
        "App_Browsers",
        "App_Code",
        "App_Data",
        "App_GlobalResources",
        "App_LocalResources",
        "App_Themes",
        "App_WebResources",
        "bin",
        "web.config",
    )
}


def devops_project_problem(value: str) -> str | None:
    """azurerm internal/services/manageddevopspools/validate/project_name.go ProjectName."""
    if not 1 <= len(value) <= 64:
        return f"project name {value!r} has {len(value)} characters; allowed: 1 to 64"
    if value[0] in "_.":
        return f"project name {value!r} starts with _ or .; allowed: a name that does not"
    if value.endswith("."):
        return f"project name {value!r} ends with a period; allowed: a name that does not"
    if _PROJECT_FORBIDDEN.search(value):
        return (
            f"project name {value!r} has a character Azure DevOps refuses; allowed: none of "
            "\\ / : * ? \" ' < > ; # $ { } + = [ ] | , or control characters"
        )
    if value.lower() in _PROJECT_RESERVED:
        return f"project name {value!r} is reserved; allowed: any name but App_*, bin and web.config"
    return None


def gallery_identifier_problem(value: str, max_length: int) -> str | None:
    # azurerm internal/services/compute/validate/compute.go SharedImageIdentifierAttribute(max)
    if not 1 <= len(value) <= max_length:
        return f"{value!r} has {len(value)} characters; allowed: 1 to {max_length}"
    if not re.fullmatch(r"[A-Za-z0-9._-]+", value):
        return f"{value!r} is not valid; allowed: letters, digits, - _ ."
    if value.endswith("."):
        return f"{value!r} ends with a period; allowed: a value that does not"
    return None


# pools spec 2026-06-02 PoolImage.provisioningScriptStorageAccountResourceId: format arm-id,
# x-ms-arm-id-details allowedResources Microsoft.Storage/storageAccounts (account names: 3-24
# lowercase letters and digits, azurerm storage/validate StorageAccountName).
STORAGE_ACCOUNT_ID = re.compile(
    rf"/subscriptions/{GUID.pattern}/resourceGroups/[^/]+/providers/Microsoft\.Storage/storageAccounts/[a-z0-9]{{3,24}}",
    re.IGNORECASE,
)


MAX_INT32 = 2147483647


def gallery_version_problem(version: str) -> str | None:
    """compute REST spec galleryImageVersionName: Major.Minor.Patch, digits within a 32-bit integer each;
    azurerm compute/validate/compute.go SharedImageVersionName: or `latest` (1-10 digits each)."""
    if version == "latest":
        return None
    if not re.fullmatch(r"[0-9]{1,10}\.[0-9]{1,10}\.[0-9]{1,10}", version):
        return f"{version!r} is not allowed; allowed: latest or a gallery image version like 1.0.0"
    if any(int(part) > MAX_INT32 for part in version.split(".")):
        return f"{version!r} has a part over {MAX_INT32}; allowed: three numbers from 0 to {MAX_INT32} (32-bit integers)"
    return None


# The short marketplace form /<publisher>/<offer>/<sku>/<version> Microsoft's own request example for
# 2026-06-02 sends as `resourceId` (devopsinfrastructure examples/CreateOrUpdatePool.json)
MARKETPLACE_SHORT_ID = re.compile(r"/[A-Za-z0-9._-]+/[A-Za-z0-9._-]+/[A-Za-z0-9._-]+/(?:latest|[0-9]+(?:\.[0-9]+){2,3})")


# The fixed segments of the ids a pool body carries, spelt as the service returns them (the pools spec's
# examples, e.g. CreateOrUpdatePool.json: /subscriptions/.../resourceGroups/.../providers/Microsoft.Storage/
# storageAccounts/...). ARM matches these segments ignoring case, but azapi compares the body it sent with
# the one it reads back case-sensitively, so an id typed in another case would show as a change every plan.
_CANONICAL_SEGMENTS = {
    segment.lower(): segment
    for segment in (
        "subscriptions",
        "resourceGroups",
        "providers",
        "Microsoft.Compute",
        "Microsoft.Storage",
        "galleries",
        "images",
        "versions",
        "storageAccounts",
        "locations",
        "publishers",
        "artifactTypes",
        "vmImage",
        "offers",
        "skus",
    )
}


def canonical_id(value: str) -> str:
    """`value` with its type segments (resourcegroups, microsoft.compute, ...) in the service's spelling;
    names (the user's resource groups, galleries, images) stay as written."""
    if not value.startswith("/subscriptions/") and not value.lower().startswith("/subscriptions/"):
        return value  # not an ARM id (e.g. the short marketplace form): sent as written
    segments = value.split("/")
    out = []
    for index, segment in enumerate(segments):
        # even positions after the leading "" are keys; the value after `providers` and after
        # `artifactTypes` are fixed words too (a namespace, vmImage)
        fixed = index % 2 == 1 or (index > 0 and segments[index - 1].lower() in ("providers", "artifacttypes"))
        out.append(_CANONICAL_SEGMENTS.get(segment.lower(), segment) if fixed else segment)
    return "/".join(out)
