"""The manifest contract, Python side: the same fixtures as app/engine/manifest/manifest.test.ts."""

import copy
import json
from pathlib import Path

import pytest

from t2v_turbo.export.manifest import ManifestError, validate_manifest

FIXTURES = Path(__file__).parent / "fixtures" / "manifests"
VALID = json.loads((FIXTURES / "valid.json").read_text())
CASES = json.loads((FIXTURES / "cases.json").read_text())["cases"]


def mutate(base: dict, case: dict) -> dict:
    m = copy.deepcopy(base)

    def walk(path: str):
        *parents, last = path.split(".")
        node = m
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        return node, (int(last) if isinstance(node, list) else last)

    for path, value in case.get("set", {}).items():
        node, key = walk(path)
        node[key] = value
    for path in case.get("delete", []):
        node, key = walk(path)
        del node[key]
    return m


def test_valid_manifest_passes():
    assert validate_manifest(copy.deepcopy(VALID))["id"] == "fixture-64"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_bad_manifest_names_the_field(case):
    with pytest.raises(ManifestError) as info:
        validate_manifest(mutate(VALID, case))
    assert info.value.path == case["path"]
    assert case["path"] in str(info.value)
