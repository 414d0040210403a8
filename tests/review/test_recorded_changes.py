"""The review of each recorded config change against the example, on the real synthesized stacks."""

from __future__ import annotations

from pathlib import Path

from mdpool.review.diff import Review, diff_synthesized
from mdpool.review.markdown import NO_CHANGES, render_markdown
from mdpool.review.synthesized import load_synthesized


def review(base: Path, head: Path) -> tuple[Review, str]:
    result = diff_synthesized(load_synthesized(base), load_synthesized(head))
    return result, render_markdown(result, "example", "case")


def changed_resources(result: Review, stack: str) -> dict[str, str]:
    """Resource type -> change verb, for one stack (each type appears once in these cases)."""
    found = next(s for s in result.stacks if s.name == stack)
    return {c.block.type: ("replace" if c.replaced else c.status) for c in found.of_kind("resource")}


def test_an_identical_config_elsewhere_gives_no_changes(example_synth, review_cases):
    result, text = review(example_synth, review_cases["unchanged"])
    assert not result.has_changes
    assert NO_CHANGES in text
    assert "## Stack" not in text


def test_schedule_change_is_told_per_day(example_synth, review_cases):
    result, text = review(example_synth, review_cases["schedule"])
    assert changed_resources(result, "pool-dev") == {"azapi_resource": "changed"}
    assert changed_resources(result, "gallery-dev") == {}
    assert "| Monday | 04:00:00 -> 1, 18:00:00 -> 0 | 05:00:00 -> 2, 18:00:00 -> 0 |" in text
    assert "| Saturday | no change | 08:00:00 -> 1, 12:00:00 -> 0 |" in text
    assert "| Tuesday |" not in text  # unchanged days stay out of the before/after table
    assert "Terraform will replace" not in text
    # daysData starts on Sunday: index 1 is Monday, 6 is Saturday
    assert "| `body.properties.agentProfile.resourcePredictions.daysData.1.05:00:00` | (not set) | `2` |" in text
    assert "| `body.properties.agentProfile.resourcePredictions.daysData.6.08:00:00` | (not set) | `1` |" in text


def test_images_change_shows_aliases_buffers_and_the_new_gallery_image(example_synth, review_cases):
    _, text = review(example_synth, review_cases["images"])
    assert (
        "| well-known `ubuntu-22.04/latest` | `ubuntu-22.04/latest` | 50 | "
        "aliases were ubuntu-22.04/latest, ubuntu-latest; buffer 100 → 50 |"
    ) in text
    assert "| gallery image `ubuntu-24.04`, latest version | `jhp-ubuntu-24.04/latest` | 50 | added |" in text
    assert (
        "| gallery image `ubuntu-22.04`, latest version | `jhp-ubuntu-22.04/latest`, `jhp-ubuntu/latest` | 0 | unchanged |"
        in text
    )
    # the new image's id is a cross-stack reference, shown as what it points at
    assert "`«gallery-dev: ubuntu-24.04».id/versions/latest`" in text


def test_sizing_change_is_called_out(example_synth, review_cases):
    result, text = review(example_synth, review_cases["sizing"])
    assert changed_resources(result, "pool-dev") == {"azapi_resource": "changed"}
    assert "- SKU: **Standard_DS3_v2 → Standard_D4s_v3**" in text
    assert "- maximum concurrency: **10 → 20**" in text
    assert "- OS disk: **Standard → Premium**" in text
    assert "- data disk: **none → 128 GiB Standard_LRS, caching ReadWrite, drive F**" in text
    assert "| `body.properties.fabricProfile.sku.name` | `Standard_DS3_v2` | `Standard_D4s_v3` |" in text


def test_renaming_the_pool_is_flagged_as_a_replacement(example_synth, review_cases):
    result, text = review(example_synth, review_cases["pool-rename"])
    assert changed_resources(result, "pool-dev") == {"azapi_resource": "replace"}
    assert "> **Terraform will replace** `azapi_resource." in text
    assert "A replaced pool drops its agents." in text
    assert "| `name` (forces replacement) | `mdp-jhp-dev-weu` | `mdp-jhp-dev-weu-2` |" in text
    assert "**1 stack(s)" not in text and "0 to create, 0 to update, 1 to replace, 0 to destroy" in text


def test_removing_a_gallery_image_destroys_its_definition(example_synth, review_cases):
    result, text = review(example_synth, review_cases["gallery-image-removed"])
    gallery = next(s for s in result.stacks if s.name == "gallery-dev")
    removed = [c for c in gallery.of_kind("resource") if c.status == "removed"]
    assert [c.block.azure_name for c in removed if c.block.type == "azurerm_shared_image"] == ["ubuntu-24.04"]
    assert "> **Terraform will destroy** `azurerm_shared_image." in text
    # the map of definition ids the image builds read loses the image
    assert "| `value.ubuntu-24.04` | `«ubuntu-24.04».id` | (not set) |" in text


def test_stateless_automatic_agents_in_plain_words(example_synth, review_cases):
    _, text = review(example_synth, review_cases["stateless-automatic"])
    assert (
        "- Agents: **stateful: an idle agent waits 00:30:00 for the next job; agents are recycled after "
        "02:00:00 → stateless: a fresh agent for every job**"
    ) in text
    assert "- Standby: **manual schedule, time zone UTC → automatic, prediction preference MostCostEffective**" in text


def test_a_renamed_environment_replaces_whole_stacks(example_synth, review_cases):
    result, text = review(example_synth, review_cases["environment-renamed"])
    status = {stack.name: stack.status for stack in result.stacks}
    assert status == {"gallery-prod": "added", "pool-prod": "added", "gallery-dev": "removed", "pool-dev": "removed"}
    assert "## Stack `pool-prod`: new stack" in text
    assert "## Stack `gallery-dev`: stack removed" in text
    assert "### Pool `mdp-jhp-prod-weu` in plain words (new)" in text
    assert "| Monday | 04:00:00 -> 1, 18:00:00 -> 0 |" in text
    assert "The pool is deleted" in text


def test_the_new_pool_settings_in_plain_words(example_synth, review_cases):
    result, text = review(example_synth, review_cases["new-pool-settings"])
    assert changed_resources(result, "pool-dev")["azapi_resource"] == "changed"  # none replaces the pool
    assert "Terraform will replace" not in text
    assert (
        "- Organizations: **https://dev.azure.com/your-organization (parallelism 10, all projects) → "
        "https://dev.azure.com/your-organization (parallelism 10, all projects, open access, alias main)**"
    ) in text
    assert "| well-known `ubuntu-22.04/latest`; ephemeral OS disk ResourceDisk |" in text
    assert "options were none" in text
    assert "provisioning script `scripts/setup-agent.ps1`, then restart" in text
    assert "- SKU: **Standard_DS3_v2 → instance mix of Standard_D2ads_v5, Standard_E2ads_v5**" in text
    assert "- static outbound IPs: **none → 2**" in text
    assert "| `body.properties.organizationProfile.description` | (not set) | `Build agents of the JHP teams` |" in text
    assert "- create `output.static_ip_addresses`" in text


def test_a_github_pool_in_plain_words(example_synth, review_cases):
    _, text = review(example_synth, review_cases["github-pool"])
    assert "→ GitHub https://github.com/jhp**" in text
