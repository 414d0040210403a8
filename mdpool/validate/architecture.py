"""What an image's CPU architecture (x64 or Arm64) asks of its build.

- The build VM must run the image's architecture: an Arm64 image is built on an Arm64 size.
  Microsoft's VM size names say which sizes are Arm64: in `Standard_<Family><vCPUs><features>_v<n>`
  the lower-case additive feature `p` means an Arm CPU (MicrosoftDocs azure-docs,
  articles/virtual-machines/vm-naming-conventions.md, "Additive Features": `p = ARM Cpu`), e.g.
  Standard_D4ps_v5 (articles/virtual-machines/sizes/general-purpose/dpsv5-series.md: Dpsv5, Ampere
  Altra Arm-based). A name that does not follow the convention is not judged.
- Boot optimization (`optimize.vmBoot`) supports X64 and ARM64 images (MicrosoftDocs azure-docs,
  articles/virtual-machines/vm-boot-optimization.md, "Image types supported": Architecture X64, ARM64;
  an earlier version of the page listed Arm64 as unsupported). mdpool turns it on by default for x64
  only, as it always has, so an Arm64 image gets it only when its config asks (`true`).
"""

from __future__ import annotations

import re

X64, ARM64 = "x64", "Arm64"
DEFAULT_BUILD_VM_SIZES = {
    X64: "Standard_D4s_v3",  # the blog's script: VMProfileVmsize default
    ARM64: "Standard_D4ps_v5",  # Dpsv5 series (Arm64), the same 4 vCPUs / 16 GiB as the x64 default
}

# [Family] + [Sub-family]* + [# of vCPUs] + [Constrained vCPUs]* + [Additive Features] + ... (vm-naming-conventions.md)
_SIZE_NAME = re.compile(r"^Standard_(?P<family>[A-Z]+)(?P<vcpus>\d+)(?:-\d+)?(?P<features>[a-z]*)(?:_|\Z)")


def default_build_vm_size(architecture: str) -> str:
    return DEFAULT_BUILD_VM_SIZES[architecture]


def size_architecture(vm_size: str) -> str | None:
    """Arm64 or x64 by the size's name; None when the name does not follow Microsoft's convention."""
    match = _SIZE_NAME.match(vm_size)
    if match is None:
        return None
    return ARM64 if "p" in match.group("features") else X64


def build_size_problem(architecture: str, vm_size: str) -> str | None:
    """Why `vm_size` cannot build an image of `architecture`, or None when it can (or cannot be told)."""
    size_arch = size_architecture(vm_size)
    if size_arch is None or size_arch == architecture:
        return None
    if architecture == ARM64:
        return (
            f"{vm_size!r} is an x64 size and this image is Arm64; build it on an Arm64 size (a 'p' among "
            f"the size's feature letters), e.g. {DEFAULT_BUILD_VM_SIZES[ARM64]}, or leave vm_size out"
        )
    return (
        f"{vm_size!r} is an Arm64 size (the 'p' feature letter) and this image is x64; build it on an x64 "
        f"size, e.g. {DEFAULT_BUILD_VM_SIZES[X64]}, or leave vm_size out"
    )


def boot_optimization_on(architecture: str, setting: bool | None) -> bool:
    """Whether a build optimizes boot: the config's `true`/`false`, else on for x64 and off for Arm64
    (mdpool's default; vm-boot-optimization.md supports both architectures)."""
    return setting if setting is not None else architecture != ARM64


# learn.microsoft.com/azure/virtual-machines/vm-naming-conventions: a `d` among the additive features is a
# local temporary (resource) disk; sizes named this way from v4 on have none without it (e.g. D2as_v5).
_VERSIONED_SIZE = re.compile(r"Standard_[A-Z]+[0-9]+(?:-[0-9]+)?(?P<features>[a-z]*)_v(?P<version>[0-9]+)")


def lacks_temp_disk(size: str) -> bool:
    """True when the size's name says it has no local temporary disk (a v4+ name without the `d` feature)."""
    match = _VERSIONED_SIZE.fullmatch(size)
    return match is not None and int(match["version"]) >= 4 and "d" not in match["features"]
