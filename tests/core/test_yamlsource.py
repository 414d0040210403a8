"""The YAML reader: YAML 1.2 scalars, duplicate keys refused, a line for every setting."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tracemalloc

import pytest

from mdpool.problems import InputError
from mdpool.yamlsource import INT_MAX, INT_MIN, MAX_DEPTH, MAX_FILE_BYTES, dotted, load_yaml


def test_times_and_norway_stay_strings(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("time: 04:00:00\ncountry: no\nflag: true\ncount: 10\nratio: 0.5\nnothing: null\n")
    assert load_yaml(path).data == {"time": "04:00:00", "country": "no", "flag": True, "count": 10, "ratio": 0.5, "nothing": None}


def test_duplicate_key_is_an_error_with_both_lines(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("pool:\n  sku: a\n  sku: b\n")
    with pytest.raises(InputError) as caught:
        load_yaml(path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:3: pool.sku: key written twice (first on line 2); write each key once"
    ]


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


# --- YAML 1.2 core schema and hostile input (issue 9 item 4) ---------------------------------------


def _load(tmp_path, text: str):
    path = tmp_path / "a.yaml"
    path.write_text(text)
    return load_yaml(path).data


def _refused(tmp_path, text: str) -> list[str]:
    path = tmp_path / "a.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_yaml(path)
    lines = [str(p) for p in caught.value.problems]
    assert lines and all("\n" not in line and line.startswith(str(path)) for line in lines), lines
    return lines


def test_core_schema_integers(tmp_path):
    assert _load(tmp_path, "a: 010\nb: 08\nc: 0o17\nd: 0x1f\ne: -09\nf: '08'\n") == {
        "a": 10,
        "b": 8,
        "c": 15,
        "d": 31,
        "e": -9,
        "f": "08",
    }


def test_core_schema_leaves_yaml11_forms_as_strings(tmp_path):
    assert _load(tmp_path, "a: yes\nb: off\nc: 1:30\nd: 2001-12-14\ne: 0b101\nf: 1_000\n") == {
        "a": "yes",
        "b": "off",
        "c": "1:30",
        "d": "2001-12-14",
        "e": "0b101",
        "f": "1_000",
    }


@pytest.mark.parametrize(
    "text",
    [
        "a: !!str 010\n",
        "a: !!python/object/apply:os.system [echo]\n",
        "a: !custom x\n",
        "a: !!binary aGVsbG8=\n",
        "--- !!map\na: 1\n",
    ],
)
def test_explicit_tags_are_refused(tmp_path, text):
    (line,) = _refused(tmp_path, text)
    assert "explicit tags" in line and "are not allowed" in line


@pytest.mark.parametrize("text", ["a: &x [1, *x]\n", "a: &x {b: *x}\n", "a: &x\n  b:\n    c: *x\n"])
def test_recursive_aliases_are_refused(tmp_path, text):
    (line,) = _refused(tmp_path, text)
    assert "recursive alias" in line


def test_plain_aliases_still_work(tmp_path):
    assert _load(tmp_path, "a: &x {b: 1}\nc: *x\n") == {"a": {"b": 1}, "c": {"b": 1}}


def test_alias_bomb_answers_fast_with_bounded_memory(tmp_path):
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 10)]  # 10**10 nodes expanded
    text = "\n".join(levels) + "\n"
    started = time.perf_counter()
    (line,) = _refused(tmp_path, text)
    elapsed = time.perf_counter() - started
    assert "after expanding aliases" in line
    assert elapsed < 1.0, elapsed
    tracemalloc.start()  # memory measured on a second run: tracing slows Python down several times
    try:
        _refused(tmp_path, text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 100 * 1024 * 1024, peak


def test_nesting_depth_is_capped(tmp_path):
    assert _load(tmp_path, "a: " + "[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2) + "\n")
    (line,) = _refused(tmp_path, "a: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n")
    assert f"nested more than {MAX_DEPTH} levels deep" in line


def test_file_size_is_capped(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("a: " + "x" * MAX_FILE_BYTES + "\n")
    with pytest.raises(InputError) as caught:
        load_yaml(path)
    (problem,) = caught.value.problems
    assert f"allowed: at most {MAX_FILE_BYTES}" in problem.message


def test_merge_keys_are_refused_with_a_message_that_says_so(tmp_path):
    (line,) = _refused(tmp_path, "base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n")
    assert ":3: other: merge keys (<<) are not supported" in line
    assert _load(tmp_path, "'<<': quoted is a plain key\n") == {"<<": "quoted is a plain key"}


def test_integers_are_bounded_before_arithmetic(tmp_path):
    assert _load(tmp_path, f"a: {INT_MAX}\nb: {INT_MIN}\n") == {"a": INT_MAX, "b": INT_MIN}
    assert "too large" in _refused(tmp_path, f"a: {INT_MAX + 1}\n")[0]
    assert "too large" in _refused(tmp_path, f"a: {INT_MIN - 1}\n")[0]
    started = time.perf_counter()
    (line,) = _refused(tmp_path, "a: " + "9" * 100_000 + "\n")
    assert "a: number 99999999999999999999... is too large" in line
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize("text", ["1e999", "-1e999", ".inf", "-.Inf", ".nan", "1" + "0" * 80 + ".5"])
def test_non_finite_floats_are_refused(tmp_path, text):
    (line,) = _refused(tmp_path, f"a: {text}\n")
    assert ": a: number " in line and "is not a finite number" in line
    assert _load(tmp_path, "a: 1.5e300\n") == {"a": 1.5e300}


def test_node_count_both_sides_of_the_limit(tmp_path):
    from mdpool.yamlsource import MAX_NODES

    # the mapping and its list count as two nodes, each item as one (keys are not counted)
    assert len(_load(tmp_path, "a: [" + "0," * (MAX_NODES - 2) + "]\n")["a"]) == MAX_NODES - 2
    (line,) = _refused(tmp_path, "a: [" + "0," * (MAX_NODES - 1) + "]\n")
    assert f"more than {MAX_NODES} values" in line


def test_control_characters_in_keys_stay_on_one_line(tmp_path):
    (line,) = _refused(tmp_path, '"a\\nb": 1\n"a\\nb": 2\n')
    assert 'a.yaml:2: ["a\\nb"]: key written twice' in line


# --- what a careless user feeds it (hostile-user pass) ----------------------------------------------


def test_a_special_file_is_read_bounded_not_forever():
    # /dev/zero reports a size of 0 and never ends: reading it whole hung validate and ate memory
    # (in a child process with a time limit, so a regression fails instead of hanging the suite)
    script = "from pathlib import Path; from mdpool.yamlsource import load_yaml; load_yaml(Path('/dev/zero'))"
    try:
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail("reading /dev/zero did not stop")
    # refused before a byte is read: a device is no config (mdpool.files.read_bounded)
    assert "/dev/zero: is a device, not a regular file; give the path of a YAML file" in done.stderr


def _socket(path):
    import socket

    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    return server


@pytest.mark.parametrize("kind, says", [("fifo", "a named pipe (FIFO)"), ("socket", "a socket")])
def test_a_fifo_or_socket_as_the_config_is_one_line_and_never_blocks(tmp_path, kind, says):
    """Opening a FIFO for reading waits for a writer: validate hung forever on one."""
    from tests.conftest import run_mdpool

    path = tmp_path / "config.yaml"
    holder = os.mkfifo(path) if kind == "fifo" else _socket(path)
    try:
        done = run_mdpool("validate", "--config", str(path), timeout=30)
    finally:
        if holder is not None:
            holder.close()
    assert done.returncode == 1
    assert done.stderr == f"{path}: is {says}, not a regular file; give the path of a YAML file\n"


def test_a_regular_file_at_the_size_limit_is_read_one_more_byte_is_not(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a: 1\n" + b"#" * (MAX_FILE_BYTES - 6) + b"\n")
    assert load_yaml(path).data == {"a": 1}
    path.write_bytes(path.read_bytes() + b"\n")
    with pytest.raises(InputError, match=f"allowed: at most {MAX_FILE_BYTES}"):
        load_yaml(path)


def test_a_folder_given_as_the_file(tmp_path):
    with pytest.raises(InputError) as caught:
        load_yaml(tmp_path)
    assert str(caught.value) == f"{tmp_path}: is a folder, not a file; give the path of a YAML file"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"environment: dev\nlocation: west\xffeurope\n", ":2: byte 0xff is not UTF-8 text; allowed: a file saved as UTF-8"),
        (
            "environment: dev\n".encode("utf-16"),
            ":1: byte 0xff is not UTF-8 text (it starts with a UTF-16 byte order mark); allowed: a file saved as UTF-8",
        ),
    ],
)
def test_text_that_is_not_utf8_names_its_line(tmp_path, raw, expected):
    path = tmp_path / "a.yaml"
    path.write_bytes(raw)
    with pytest.raises(InputError) as caught:
        load_yaml(path)
    assert str(caught.value) == f"{path}{expected}"


def test_a_utf8_byte_order_mark_and_crlf_are_fine(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\r\nb: x\r\n")
    assert load_yaml(path).data == {"a": 1, "b": "x"}


def test_syntax_errors_keep_their_context(tmp_path):
    # PyYAML's problem alone can be as bare as "second occurrence"; its context says of what
    (line,) = _refused(tmp_path, "a: &x 1\nb: &x 2\n")
    assert line.endswith("a.yaml:2: not valid YAML: second occurrence (found duplicate anchor 'x'; first occurrence on line 1)")
    (line,) = _refused(tmp_path, 'a: "open\n')
    assert line.endswith("a.yaml:2: not valid YAML: found unexpected end of stream (while scanning a quoted scalar on line 1)")
    (line,) = _refused(tmp_path, "a:\t1\n")  # PyYAML writes the tab as '\t' already: not escaped twice
    assert "found character '\\t' that cannot start any token" in line


def test_half_a_surrogate_pair_is_refused_at_its_line(tmp_path):
    # "\ud800" in double quotes is no character: in a tag it ended validate in a UnicodeEncodeError traceback
    (line,) = _refused(tmp_path, 'tags:\n  workload: "\\ud800"\n')
    assert line.endswith(
        "a.yaml:2: tags.workload: \\ud800 holds half of a surrogate pair (\\ud800 to \\udfff) on its own, which is "
        "not a character; allowed: characters, written as they are or escaped (\\u00e9, \\U0001F680)"
    )
    (line,) = _refused(tmp_path, '"\\udfffx": 1\n')  # in a key too
    assert "a.yaml:1: " in line and "half of a surrogate pair" in line


def test_a_surrogate_pair_is_its_character(tmp_path):
    assert _load(tmp_path, 'a: "\\ud83d\\ude80 \\U0001F680 \\u00e9"\n') == {"a": "\U0001f680 \U0001f680 \u00e9"}


# The bounds below are written out, not imported: a changed limit must fail a test.
ONE_MEBIBYTE = 1_048_576  # the documented cap on a config or definition file
INT32_LOWEST, INT32_HIGHEST = -2_147_483_648, 2_147_483_647  # the REST specs' `format: int32`


def test_file_size_both_sides_of_one_mebibyte(tmp_path):
    text = "a: " + "x" * (ONE_MEBIBYTE - 4) + "\n"  # exactly 1 MiB of UTF-8
    assert len(_load(tmp_path, text)["a"]) == ONE_MEBIBYTE - 4
    (line,) = _refused(tmp_path, "a: " + "x" * (ONE_MEBIBYTE - 3) + "\n")
    assert f"file has {ONE_MEBIBYTE + 1} bytes; allowed: at most {ONE_MEBIBYTE}" in line


def test_nesting_both_sides_of_64_levels(tmp_path):
    # the top mapping is level 1, each list one more: 63 lists make 64 levels
    assert _load(tmp_path, "a: " + "[" * 63 + "]" * 63 + "\n")
    (line,) = _refused(tmp_path, "a: " + "[" * 64 + "]" * 64 + "\n")
    assert "nested more than 64 levels deep" in line


def test_integers_both_sides_of_int32(tmp_path):
    assert _load(tmp_path, f"a: {INT32_HIGHEST}\nb: {INT32_LOWEST}\nc: 0x7fffffff\n") == {
        "a": INT32_HIGHEST,
        "b": INT32_LOWEST,
        "c": INT32_HIGHEST,
    }
    for text in (str(INT32_HIGHEST + 1), str(INT32_LOWEST - 1), "0x80000000"):
        (line,) = _refused(tmp_path, f"a: {text}\n")
        assert f"is too large; allowed: {INT32_LOWEST} to {INT32_HIGHEST}" in line


def test_node_count_both_sides_of_100_000(tmp_path):
    # the mapping and its list are two values, each item one more: 99,998 items make 100,000
    assert len(_load(tmp_path, "a: [" + "0," * 99_998 + "]\n")["a"]) == 99_998
    (line,) = _refused(tmp_path, "a: [" + "0," * 99_999 + "]\n")
    assert "more than 100000 values after expanding aliases" in line


def test_nesting_through_an_alias_counts_the_expanded_depth(tmp_path):
    # each line is shallow, but *a puts a's lists inside b's: 1 + 30 + 33 = 64 levels, then 65
    def text(inner: int) -> str:
        return "a: &a " + "[" * inner + "]" * inner + "\nb: " + "[" * 30 + "*a" + "]" * 30 + "\n"

    assert _load(tmp_path, text(33))
    (line,) = _refused(tmp_path, text(34))
    assert "nested more than 64 levels deep" in line
