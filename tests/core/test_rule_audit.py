"""Rules and body details no other test needed (issue 21's mutation audit): each case here fails when its
rule or guard is removed. Sources as in docs/rules.md."""

from __future__ import annotations

import pytest

from mdpool.loader import load_config
from mdpool.constructs.pool_body import pool_properties
from mdpool.problems import InputError
from tests.core.test_config_rules import DELETE, write

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"
GITHUB = {"organizations": [{"url": "https://github.com/acme"}]}


def errors(tmp_path, changes) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_config(write(tmp_path, changes))
    return [str(p) for p in caught.value.problems if ": warning: " not in str(p)]


def warnings(tmp_path, changes) -> list[str]:
    return [str(w) for w in load_config(write(tmp_path, changes)).warnings]


@pytest.mark.parametrize("kind", ["CreatorOnly", "Inherit"])
@pytest.mark.parametrize("field", ["users", "groups"])
def test_accounts_need_kind_specific_accounts(tmp_path, kind, field):
    # azurerm POOL CustomizeDiff: no administrator_account unless SpecificAccounts
    found = errors(tmp_path, {"pool.permission": {"kind": kind, field: ["ops@contoso.com"]}})
    assert any(": pool.permission: users and groups are only used with kind SpecificAccounts" in line for line in found), found
    load_config(write(tmp_path, {"pool.permission": {"kind": "SpecificAccounts", field: ["ops@contoso.com"]}}))


def test_automatic_settings_need_kind_automatic(tmp_path):
    # azurerm HELPERS: automatic_resource_prediction ConflictsWith manual_resource_prediction
    found = errors(tmp_path, {"pool.standby.automatic": {"prediction_preference": "Balanced"}})
    assert any(
        "pool.standby.automatic: automatic settings are only used with kind automatic (kind is manual)" in line for line in found
    )
    load_config(write(tmp_path, {"pool.standby": {"kind": "automatic", "automatic": {"prediction_preference": "Balanced"}}}))


def test_a_manual_schedule_needs_kind_manual(tmp_path):
    found = errors(tmp_path, {"pool.standby.kind": "off"})
    assert any("pool.standby.manual: a manual schedule is only used with kind manual (kind is off)" in line for line in found)


@pytest.mark.parametrize("directory", ["/var/state", "C:/state", "c:state"])
def test_an_absolute_local_state_path_is_refused(tmp_path, directory):
    found = errors(tmp_path, {"state.local": {"directory": directory}})
    assert any("state.local.directory: must be a relative path inside the project" in line for line in found), found


def test_a_relative_state_path_beside_the_output_is_accepted(tmp_path):
    assert load_config(write(tmp_path, {"state.local": {"directory": "state/dev"}})).state.local.directory == "state/dev"


def test_a_work_folder_of_blanks_warns(tmp_path):
    assert any("pool.work_folder: warning: is only blanks" in line for line in warnings(tmp_path, {"pool.work_folder": "   "}))
    assert warnings(tmp_path, {"pool.work_folder": " C:\\w"}) == []


@pytest.mark.parametrize("kind", ["CreatorOnly", "Inherit", "SpecificAccounts"])
def test_a_github_pool_with_any_explicit_permission_is_refused(tmp_path, kind):
    # spec 2026-06-02 GitHubOrganizationProfile has no permissionProfile: even the default, written out
    changes = {"pool.organizations": DELETE, "pool.github": GITHUB, "pool.permission": {"kind": kind}}
    found = errors(tmp_path, changes)
    assert any("pool.permission: applies to Azure DevOps organizations only; a GitHub pool has none" in line for line in found)


def test_a_github_pool_without_permission_is_accepted(tmp_path):
    config = load_config(write(tmp_path, {"pool.organizations": DELETE, "pool.github": GITHUB}))
    assert config.pool.github is not None


@pytest.mark.parametrize("url", ["https://dev.azure.com/contosé", "https://dev.azure.com/contoso٣"])
def test_an_organization_url_must_end_in_an_ascii_letter_or_digit(tmp_path, url):
    # azurerm POOL organization.url: StringMatch `[a-zA-Z0-9]$` (ASCII classes in Go's regexp)
    found = errors(tmp_path, {"pool.organizations[0].url": url})
    assert any("pool.organizations[0].url:" in line and "must end with a letter or digit" in line for line in found), found


def _body(config) -> dict:
    names = config.names
    return pool_properties(
        config.pool,
        project_id=f"{SUB}/resourceGroups/rg/providers/Microsoft.DevCenter/projects/p",
        gallery_image_ids={image.name: names.gallery_image_id(image.name) for image in config.gallery.images},
    )


def test_an_explicit_false_or_zero_reaches_the_body(tmp_path):
    script = {"storage_account_id": f"{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/scripts01"}
    config = load_config(
        write(
            tmp_path,
            {
                "pool.organizations[0].open_access": False,
                "pool.images[0].provisioning_script": {**script, "entry_point": "setup.sh", "restart": False},
                "pool.network": {"static_ip_count": 0},
            },
        )
    )
    body = _body(config)
    assert body["organizationProfile"]["organizations"][0]["openAccess"] is False
    assert body["fabricProfile"]["images"][0]["provisioningScriptShouldRestart"] is False
    assert body["fabricProfile"]["networkProfile"] == {"staticIpAddressCount": 0}


def test_settings_left_out_stay_out_of_the_body(tmp_path):
    body = _body(load_config(write(tmp_path, {})))
    assert "openAccess" not in body["organizationProfile"]["organizations"][0]
    assert "networkProfile" not in body["fabricProfile"]
