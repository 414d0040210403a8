"""Values from a pull request land in the review comment as text: no HTML, no links, no broken tables.

The review of a hostile change to the example's pool (every value a pull request controls set to
Markdown or HTML) is parsed by markdown-it-py, a CommonMark parser with GFM tables, with raw HTML
allowed as a permissive renderer would: it must find no HTML, no link, and every table row must have
its header's number of cells.
"""

from __future__ import annotations

import copy
import json
import shutil

from markdown_it import MarkdownIt

from mdpool.review.diff import diff_synthesized
from mdpool.review.escape import code, text
from mdpool.review.markdown import render_markdown
from mdpool.review.synthesized import load_synthesized

HOSTILE = "<img src=x onerror=alert(1)> | `tick`` [link](https://evil.example) **bold** <!-- \n# heading"


def parse(markdown: str):
    return MarkdownIt("commonmark", {"html": True}).enable("table").parse(markdown)


def inline_children(tokens):
    for token in tokens:
        yield token
        yield from token.children or []


def assert_inert(markdown: str) -> None:
    tokens = list(inline_children(parse(markdown)))
    kinds = {token.type for token in tokens}
    assert not kinds & {"html_inline", "html_block", "link_open", "image"}, kinds
    # the hostile **bold** stays literal text wherever it appears: never emphasis of the word bold
    assert not any(a.type == "strong_open" and b.content == "bold" for a, b in zip(tokens, tokens[1:]))
    headings = [t for t in tokens if t.type == "heading_open"]
    assert all(t.tag in ("h1", "h2", "h3", "h4") for t in headings)
    cells, rows = 0, []
    for token in tokens:
        if token.type == "tr_open":
            cells = 0
        elif token.type in ("th_open", "td_open"):
            cells += 1
        elif token.type == "tr_close":
            rows.append(cells)
        elif token.type == "table_close":
            assert len(set(rows)) == 1, rows  # no row has a cell more or less than the header
            rows = []


def test_a_hostile_pool_renders_as_text(tmp_path, example_synth):
    head = tmp_path / "head"
    shutil.copytree(example_synth, head)
    stack = head / "stacks" / "pool-dev" / "cdk.tf.json"
    data = json.loads(stack.read_text())
    pool = next(iter(data["resource"]["azapi_resource"].values()))
    before = copy.deepcopy(pool)
    properties = pool["body"]["properties"]
    pool["name"] = HOSTILE
    properties["organizationProfile"]["organizations"][0]["url"] = HOSTILE
    properties["fabricProfile"]["sku"]["name"] = HOSTILE
    images = properties["fabricProfile"]["images"]
    images[0]["aliases"] = [HOSTILE, "`"]
    images[0]["buffer"] = HOSTILE
    images[0]["ephemeralType"] = HOSTILE
    images[0]["provisioningScriptEntryPoint"] = HOSTILE
    images[1]["wellKnownImageName"] = HOSTILE
    predictions = properties["agentProfile"]["resourcePredictions"]
    predictions["timeZone"] = HOSTILE
    predictions["daysData"][1] = {HOSTILE: 1}
    pool["tags"][HOSTILE] = HOSTILE
    assert pool != before
    stack.write_text(json.dumps(data))
    review = diff_synthesized(load_synthesized(example_synth, HOSTILE), load_synthesized(head, "head"))
    markdown = render_markdown(review, HOSTILE, "head")
    assert "Pool" in markdown and "Standby" in markdown  # the plain-words section is there, with the values
    assert_inert(markdown)


def test_code_spans_hold_any_backticks_and_text_is_literal():
    for value in ["a`b", "``x", "a```b", "`", "x\ny", " a "]:
        tokens = list(inline_children(parse(code(value))))
        spans = [t for t in tokens if t.type == "code_inline"]
        assert [t.content for t in spans] == [value.replace("\n", "\\n")], (value, code(value))
    for value in [HOSTILE, "_x_", "a\\b", "&lt;", "~~s~~", "![i](x)"]:
        rendered = MarkdownIt("commonmark", {"html": True}).render(text(value))
        assert "<img" not in rendered and "<a " not in rendered and "<em>" not in rendered and "<del>" not in rendered
        assert "&amp;lt;" in rendered if value == "&lt;" else True
