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
    pool_images.append({"gallery_image": "ubuntu-24.04", "version": "latest",
                        "aliases": ["jhp-ubuntu-24.04/latest"], "buffer": 50})


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
}
