"""Recorded config changes for the review tests: each is an edit of the example configuration.

Each case edits the example's parsed YAML the way a pull request would edit the file; the session
fixture writes every variant beside a copy of the image files and synthesizes them all in this
process (the provider bindings load once per session).
"""

from __future__ import annotations

from typing import Any, Callable

Edit = Callable[[dict[str, Any]], None]


def unchanged(config: dict) -> None:
    """A copy of the example in another folder: the output must not differ at all."""


def schedule(config: dict) -> None:
    days = config["pool"]["standby"]["manual"]["days"]
    days["monday"] = {"05:00:00": 2, "18:00:00": 0}
    days["saturday"] = {"08:00:00": 1, "12:00:00": 0}


def images(config: dict) -> None:
    pool_images = config["pool"]["images"]
    pool_images[0]["buffer"] = 50
    pool_images[0]["aliases"] = ["ubuntu-22.04/latest"]
    pool_images.append(
        {"gallery_image": "ubuntu-24.04", "version": "latest", "aliases": ["jhp-ubuntu-24.04/latest"], "buffer": 50}
    )


def sizing(config: dict) -> None:
    pool = config["pool"]
    pool["sku"] = "Standard_D4s_v3"
    pool["maximum_concurrency"] = 20
    pool["organizations"][0]["parallelism"] = 20
    pool["os_disk_type"] = "Premium"
    pool["data_disk"] = {"size_gb": 128, "drive_letter": "F"}


def pool_rename(config: dict) -> None:
    config["pool"]["name"] = "mdp-jhp-dev-weu-2"


def gallery_image_removed(config: dict) -> None:
    config["gallery"]["images"] = [image for image in config["gallery"]["images"] if image["name"] != "ubuntu-24.04"]


def stateless_automatic(config: dict) -> None:
    config["pool"]["agents"] = {"kind": "stateless"}
    config["pool"]["standby"] = {"kind": "automatic", "automatic": {"prediction_preference": "MostCostEffective"}}


def new_pool_settings(config: dict) -> None:
    """Every setting of the pools API 2026-06-02 at once."""
    pool = config["pool"]
    pool["organizations"][0].update(open_access=True, alias="main")
    pool["description"] = "Build agents of the JHP teams"
    pool["images"][0]["ephemeral"] = "ResourceDisk"
    pool["images"][1]["provisioning_script"] = {
        "storage_account_id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-scripts/"
        "providers/Microsoft.Storage/storageAccounts/jhpscripts",
        "entry_point": "scripts/setup-agent.ps1",
        "restart": True,
    }
    del pool["sku"]
    pool["instance_mix"] = ["Standard_D2ads_v5", "Standard_E2ads_v5"]
    pool["network"] = {"new": {}, "static_ip_count": 2}


def github_pool(config: dict) -> None:
    config["pool"]["organizations"] = []
    config["pool"]["github"] = {"organizations": [{"url": "https://github.com/jhp", "repositories": ["app"]}]}


def environment_renamed(config: dict) -> None:
    config["environment"] = "prod"
    config["builder"]["role_name"] = "[JHP] Azure Image Builder Service (prod)"


CASES: dict[str, Edit] = {
    "unchanged": unchanged,
    "schedule": schedule,
    "images": images,
    "sizing": sizing,
    "pool-rename": pool_rename,
    "gallery-image-removed": gallery_image_removed,
    "stateless-automatic": stateless_automatic,
    "environment-renamed": environment_renamed,
    "new-pool-settings": new_pool_settings,
    "github-pool": github_pool,
}
