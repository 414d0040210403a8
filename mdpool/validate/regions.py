"""Azure's regions (public cloud), the names ARM and the azurerm provider take for `location`.

Source: `GET /subscriptions/{id}/locations?api-version=2023-07-01` (what `az account list-locations`
prints), the entries with `metadata.regionType` Physical, as cached by Microsoft's Azure Verified
Module Azure/terraform-azurerm-avm-utl-regions (modules/cached-data/locations.tf.json, refreshed
weekly by its update-data workflow; this copy from its commit 9064b20, 2026-08-21).

The list is a snapshot, not the rule: the provider validates a location against the list the cloud's
metadata endpoint returns at plan time (go-azure-helpers resourcemanager/location EnhancedValidate,
best effort; it accepts any non-empty name when the list cannot be read). New regions open,
sovereign clouds have their own, and a subscription may see regions others do not, so a name missing
here is a warning with the closest known name, never an error.

To refresh: `az rest --method GET --uri "/subscriptions/<id>/locations?api-version=2023-07-01"`
(or take the module's current locations.tf.json), keep `name` and `displayName` of every entry
whose `metadata.regionType` is Physical, sorted by name, and update the commit/date above.
"""

from __future__ import annotations

import difflib

REGIONS: tuple[tuple[str, str], ...] = (
    ("australiacentral", "Australia Central"),
    ("australiacentral2", "Australia Central 2"),
    ("australiaeast", "Australia East"),
    ("australiasoutheast", "Australia Southeast"),
    ("austriaeast", "Austria East"),
    ("belgiumcentral", "Belgium Central"),
    ("brazilsouth", "Brazil South"),
    ("brazilsoutheast", "Brazil Southeast"),
    ("canadacentral", "Canada Central"),
    ("canadaeast", "Canada East"),
    ("centralindia", "Central India"),
    ("centralus", "Central US"),
    ("centraluseuap", "Central US EUAP"),
    ("chilecentral", "Chile Central"),
    ("denmarkeast", "Denmark East"),
    ("eastasia", "East Asia"),
    ("eastus", "East US"),
    ("eastus2", "East US 2"),
    ("eastus2euap", "East US 2 EUAP"),
    ("eastusstg", "East US STG"),
    ("francecentral", "France Central"),
    ("francesouth", "France South"),
    ("germanynorth", "Germany North"),
    ("germanywestcentral", "Germany West Central"),
    ("indonesiacentral", "Indonesia Central"),
    ("israelcentral", "Israel Central"),
    ("italynorth", "Italy North"),
    ("japaneast", "Japan East"),
    ("japanwest", "Japan West"),
    ("jioindiacentral", "Jio India Central"),
    ("jioindiawest", "Jio India West"),
    ("koreacentral", "Korea Central"),
    ("koreasouth", "Korea South"),
    ("malaysiawest", "Malaysia West"),
    ("mexicocentral", "Mexico Central"),
    ("newzealandnorth", "New Zealand North"),
    ("northcentralus", "North Central US"),
    ("northeurope", "North Europe"),
    ("norwayeast", "Norway East"),
    ("norwaywest", "Norway West"),
    ("polandcentral", "Poland Central"),
    ("qatarcentral", "Qatar Central"),
    ("southafricanorth", "South Africa North"),
    ("southafricawest", "South Africa West"),
    ("southcentralus", "South Central US"),
    ("southcentralusstg", "South Central US STG"),
    ("southeastasia", "Southeast Asia"),
    ("southindia", "South India"),
    ("spaincentral", "Spain Central"),
    ("swedencentral", "Sweden Central"),
    ("switzerlandnorth", "Switzerland North"),
    ("switzerlandwest", "Switzerland West"),
    ("uaecentral", "UAE Central"),
    ("uaenorth", "UAE North"),
    ("uksouth", "UK South"),
    ("ukwest", "UK West"),
    ("westcentralus", "West Central US"),
    ("westeurope", "West Europe"),
    ("westindia", "West India"),
    ("westus", "West US"),
    ("westus2", "West US 2"),
    ("westus3", "West US 3"),
)
"""(name, display name) of every physical region, by name."""

REGION_NAMES = frozenset(name for name, _ in REGIONS)


def normalize_location(value: str) -> str:
    """`West Europe` -> `westeurope`: lower case without spaces, as ARM and the provider compare locations
    (go-azure-helpers resourcemanager/location/normalize.go Normalize)."""
    return value.lower().replace(" ", "")


def closest_region(name: str) -> str | None:
    """The known region whose name is closest to `name` (a typo's likely meaning), or None."""
    close = difflib.get_close_matches(name, sorted(REGION_NAMES), n=1, cutoff=0.75)
    return close[0] if close else None
