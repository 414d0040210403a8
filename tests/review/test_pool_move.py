"""The review of the pool's move from azurerm to azapi, against a base synthesized by mdpool round 1.

`tests/data/review/azurerm-pool-example/` is the example as round 1 synthesized it (the snapshot at
commit 44e905b, pool as `azurerm_managed_devops_pool`). The head is today's example: the same pool as
`azapi_resource` handed over by `removed` (destroy = false) and `import`, so the review must tell a move, not a destroy and a create,
and the pool's plain words must read the same on both sides, value for value.
"""

from __future__ import annotations

from pathlib import Path

from mdpool.review.diff import diff_synthesized
from mdpool.review.markdown import render_markdown
from mdpool.review.synthesized import load_synthesized

ROUND_ONE = Path(__file__).parent.parent / "data" / "review" / "azurerm-pool-example"


def test_the_azurerm_pool_moves_to_azapi_without_destroying_anything(example_synth):
    text = render_markdown(diff_synthesized(load_synthesized(ROUND_ONE), load_synthesized(example_synth)), "r1", "now")
    assert (
        "> `azurerm_managed_devops_pool.pool_8FF6099E` in stack `pool-dev` moves to "
        "`azapi_resource.pool_8FF6099E` (a `moved` block, or `removed` with destroy = false and an `import`)"
    ) in text
    assert "Terraform will destroy" not in text and "Terraform will replace" not in text
    assert "0 to create" in text and "0 to destroy" in text and "0 to replace" in text
    assert "The pool is deleted" not in text


def test_the_moved_pool_says_what_the_blogs_pool_said(example_synth):
    text = render_markdown(diff_synthesized(load_synthesized(ROUND_ONE), load_synthesized(example_synth)), "r1", "now")
    pool = text.split("### Pool `mdp-jhp-dev-weu` in plain words (changed)", 1)[1].split("### Resources", 1)[0]
    # Every fact reads the same before and after: no "before → after" anywhere in the pool's words.
    assert "→" not in pool, pool
    assert "- Agents: stateful: an idle agent waits 00:30:00 for the next job; agents are recycled after 02:00:00" in pool
    assert "- Standby: manual schedule, time zone UTC" in pool
    assert "| Monday | 04:00:00 -> 1, 18:00:00 -> 0 |" in pool and "| Sunday | no change |" in pool
    assert (
        "| gallery image `ubuntu-22.04`, latest version | `jhp-ubuntu-22.04/latest`, `jhp-ubuntu/latest` | 0 | unchanged |"
        in pool
    )
    assert "- SKU: Standard_DS3_v2" in pool
