"""The YAML reader: YAML 1.2 scalars, duplicate keys refused, a line for every setting."""

from __future__ import annotations

import pytest

from mdpool.problems import InputError
from mdpool.yamlsource import dotted, load_yaml


def test_times_and_norway_stay_strings(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("time: 04:00:00\ncountry: no\nflag: true\ncount: 10\nratio: 0.5\nnothing: null\n")
    assert load_yaml(path).data == {"time": "04:00:00", "country": "no", "flag": True, "count": 10,
                                    "ratio": 0.5, "nothing": None}


def test_duplicate_key_is_an_error_with_both_lines(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("pool:\n  sku: a\n  sku: b\n")
    with pytest.raises(InputError) as caught:
        load_yaml(path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:3: pool.sku: key written twice (first on line 2); write each key once"]


def test_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("a: 1\nb: [1, 2\nc: 3\n")
    with pytest.raises(InputError) as caught:
        load_yaml(path)
    (problem,) = caught.value.problems
    assert problem.line is not None and "not valid YAML" in problem.message


def test_missing_file(tmp_path):
    with pytest.raises(InputError) as caught:
        load_yaml(tmp_path / "nope.yaml")
    assert str(caught.value) == f"{tmp_path / 'nope.yaml'}: file not found"


def test_lines_and_nearest_ancestor(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("pool:\n  images:\n    - buffer: 1\n    - buffer: 2\n")
    doc = load_yaml(path)
    assert doc.line_of(("pool", "images", 1, "buffer")) == 4
    assert doc.line_of(("pool", "images", 1, "aliases")) == 4  # not written: its item's line
    assert dotted(("pool", "images", 1, "buffer")) == "pool.images[1].buffer"
    assert dotted(("days", "monday", "04:00:00")) == 'days.monday["04:00:00"]'
