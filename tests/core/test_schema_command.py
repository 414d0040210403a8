"""`mdpool schema`: the installed version's JSON Schemas, printed or written, never over a file of the user's."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import jsonschema
import pytest

from mdpool import schemas
from tests.conftest import REPO, run_mdpool

COMMITTED = {
    "config": schemas.CONFIG_SCHEMA,
    "image-definition": schemas.DEFINITION_SCHEMA,
    "json-output": schemas.JSON_OUTPUT_SCHEMA,
}


@pytest.mark.parametrize("kind", sorted(COMMITTED))
def test_prints_the_schema_the_repository_commits(kind, tmp_path):
    result = run_mdpool("schema", kind, cwd=tmp_path)  # no file of this repository in the folder
    assert result.returncode == 0, result.stderr
    assert result.stdout == (REPO / COMMITTED[kind]).read_text()
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    # a stable URL-form identifier on a reserved domain (RFC 2606), the same for every version
    parts = urlsplit(schema["$id"])
    assert (parts.scheme, parts.netloc) == ("https", "mdpool.invalid")
    assert parts.path.startswith("/schema/") and parts.path.endswith(".schema.json")


def test_ids_differ_by_kind():
    ids = {json.loads((REPO / path).read_text())["$id"] for path in COMMITTED.values()}
    assert len(ids) == len(COMMITTED)


def test_out_writes_a_new_file_and_replaces_only_an_earlier_schema_of_its_kind(tmp_path):
    out = tmp_path / "sub" / "config.schema.json"
    first = run_mdpool("schema", "config", "--out", str(out))
    assert first.returncode == 0, first.stderr
    assert out.read_text() == (REPO / schemas.CONFIG_SCHEMA).read_text()
    assert first.stdout.strip() == f"wrote {out}"

    out.write_text(out.read_text().replace("mdpool environment configuration", "older title"))
    again = run_mdpool("schema", "config", "--out", str(out))  # an earlier schema of the same $id
    assert again.returncode == 0, again.stderr
    assert out.read_text() == (REPO / schemas.CONFIG_SCHEMA).read_text()

    other = run_mdpool("schema", "image-definition", "--out", str(out))  # another kind's $id: refused
    assert other.returncode == 1
    assert other.stderr.strip().startswith(f"{out}: exists and is not an mdpool schema with $id {schemas.DEFINITION_SCHEMA_ID}")
    assert out.read_text() == (REPO / schemas.CONFIG_SCHEMA).read_text()


@pytest.mark.parametrize(
    "existing",
    ['{"type": "object"}\n', "not json at all\n", '{"$id": "https://example.com/config.schema.json"}\n', ""],
)
def test_out_refuses_a_file_of_the_users_and_leaves_it(existing, tmp_path):
    out = tmp_path / "mine.json"
    out.write_text(existing)
    result = run_mdpool("schema", "config", "--out", str(out))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert out.read_text() == existing
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.json"]


def test_out_refuses_a_folder_and_a_symbolic_link(tmp_path):
    (tmp_path / "folder").mkdir()
    (tmp_path / "target.json").write_text("{}")
    (tmp_path / "link.json").symlink_to(tmp_path / "target.json")
    for out, words in ((tmp_path / "folder", "is a folder"), (tmp_path / "link.json", "is a symbolic link")):
        result = run_mdpool("schema", "config", "--out", str(out))
        assert result.returncode == 1 and words in result.stderr
    assert (tmp_path / "target.json").read_text() == "{}"
