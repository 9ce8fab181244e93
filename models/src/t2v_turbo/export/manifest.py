"""The model-package manifest: validation against the one schema shared with the browser.

`manifest.schema.json` is generated from app/engine/manifest/schema.ts (`npm run schema`);
`semantic_problems` mirrors app/engine/manifest/semantics.ts rule for rule. Both sides run the
fixtures in models/tests/fixtures/manifests/.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA_PATH = Path(__file__).with_name("manifest.schema.json")
MANIFEST_FORMAT = "t2v-turbo-web/1"
REQUIRED_GRAPHS = ("text_encoder", "unet", "vae_decoder")
# A browser reads each file into one ArrayBuffer (and onnxruntime-web a graph into one protobuf):
# neither goes past 2 GiB - 1 bytes. Larger weights must be split into external-data shards.
MAX_FILE_BYTES = 2**31 - 1


class ManifestError(ValueError):
    """A manifest that breaks the contract; `path` is the dotted field at fault."""

    def __init__(self, path: str, problem: str):
        super().__init__(f"Model manifest is invalid: {path} {problem}.")
        self.path = path


@dataclass(frozen=True)
class Problem:
    path: str
    message: str


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))


def _dotted(parts) -> str:
    return ".".join(str(p) for p in parts) or "(root)"


def _structural_problem(manifest: Any) -> Problem | None:
    errors = list(_validator().iter_errors(manifest))
    if not errors:
        return None
    # The first error in document order, at its deepest cause, like zod's first issue.
    err = min(errors, key=lambda e: (list(map(str, e.absolute_path)), -len(e.absolute_path)))
    while err.context:
        # A union (e.g. the tokenizer kinds): follow the branch whose discriminator matched, as zod does.
        branches: dict = {}
        for e in err.context:
            branches.setdefault(e.relative_schema_path[0], []).append(e)
        matched = [es for es in branches.values() if not any(e.validator == "const" for e in es)]
        err = min([e for es in (matched or branches.values()) for e in es], key=lambda e: -len(e.absolute_path))
    path = list(err.absolute_path)
    if err.validator == "additionalProperties":
        known = set(err.schema.get("properties", {}))
        unknown = sorted(k for k in err.instance if k not in known)
        return Problem(_dotted(path + unknown[:1]), "is not a known field")
    if "propertyNames" in err.schema_path:  # a record key outside its enum, e.g. an unknown graph role
        return Problem(_dotted(path + [err.instance]), "is not a known field")
    if err.validator == "required":
        missing = [k for k in err.validator_value if k not in err.instance]
        return Problem(_dotted(path + missing[:1]), "is missing")
    return Problem(_dotted(path), f"is invalid: {err.message}")


def semantic_problems(m: dict) -> list[Problem]:
    """Cross-field rules JSON Schema cannot state (mirror of semantics.ts)."""
    problems: list[Problem] = []
    add = lambda path, message: problems.append(Problem(path, message))  # noqa: E731

    for role in REQUIRED_GRAPHS:
        if role not in m["graphs"]:
            add(f"graphs.{role}", "is required")

    sampler = m["sampler"]
    for path, r in (
        ("sampler.steps", sampler["steps"]),
        ("sampler.guidance", sampler["guidance"]),
        ("sampler.motion", sampler["motion"]),
    ):
        if r["min"] > r["max"]:
            add(f"{path}.min", f"must not exceed max ({r['min']} > {r['max']})")
        elif not r["min"] <= r["default"] <= r["max"]:
            add(f"{path}.default", f"must lie in [{r['min']}, {r['max']}], got {r['default']}")
    steps = sampler["steps"]
    for i, s in enumerate(steps["recommended"]):
        if not steps["min"] <= s <= steps["max"]:
            add(f"sampler.steps.recommended.{i}", f"must lie in [{steps['min']}, {steps['max']}], got {s}")

    n, k = sampler["grid"]["num_steps"], sampler["grid"]["skip"]
    schedule = m["schedule"]
    if schedule["num_train_timesteps"] % n != 0:
        add("sampler.grid.num_steps", f"must divide schedule.num_train_timesteps ({schedule['num_train_timesteps']})")
    if k >= n:
        add("sampler.grid.skip", f"must be below grid.num_steps ({n})")
    if steps["max"] > n:
        add("sampler.steps.max", f"must not exceed the grid's {n} timesteps")
    if schedule["beta_start"] >= schedule["beta_end"]:
        add("schedule.beta_start", "must be below beta_end")

    video, latent = m["video"], m["latent"]
    if latent["frames"] != video["frames"]:
        add("latent.frames", f"must equal video.frames ({video['frames']})")
    if latent["height"] * latent["downsample"] != video["height"]:
        add("latent.height", f"times latent.downsample must equal video.height ({video['height']})")
    if latent["width"] * latent["downsample"] != video["width"]:
        add("latent.width", f"times latent.downsample must equal video.width ({video['width']})")

    decoder = m["graphs"].get("vae_decoder")
    chunk = decoder["inputs"][0]["shape"][2] if decoder and len(decoder["inputs"][0]["shape"]) == 5 else None
    if isinstance(chunk, int) and (chunk == 0 or latent["frames"] % chunk):
        add("graphs.vae_decoder.inputs.0.shape.2", f"(frames per decoder call) must divide latent.frames ({latent['frames']})")

    references = [("text.graph", m["text"]["graph"])]
    if "motion_guidance" in m:
        references.append(("motion_guidance.graph", m["motion_guidance"]["graph"]))
    references += [(f"rewards.{i}.graph", r["graph"]) for i, r in enumerate(m["rewards"])]
    for path, role in references:
        if role not in m["graphs"]:
            add(path, f'names graph "{role}", which the package does not have')

    seen_rewards: set[str] = set()
    for i, r in enumerate(m["rewards"]):
        if r["id"] in seen_rewards:
            add(f"rewards.{i}.id", f'"{r["id"]}" appears twice')
        seen_rewards.add(r["id"])

    owners: dict[str, str] = {}

    def claim(field: str, path: str) -> None:
        if path in owners:
            add(field, f'file "{path}" is also used by {owners[path]}')
        else:
            owners[path] = field

    claim("text.tokenizer.vocab.path", m["text"]["tokenizer"]["vocab"]["path"])
    for role, graph in m["graphs"].items():
        precisions: set[str] = set()
        for i, v in enumerate(graph["variants"]):
            at = f"graphs.{role}.variants.{i}"
            if v["precision"] in precisions:
                add(f"{at}.precision", f'"{v["precision"]}" appears twice')
            precisions.add(v["precision"])
            if v["precision"] == "fp16" and "webgpu" in v["backends"] and "shader-f16" not in v.get("requires", []):
                add(f"{at}.requires", 'an fp16 WebGPU variant must require "shader-f16"')
            claim(f"{at}.file.path", v["file"]["path"])
            refs = [("file", v["file"])] + [(f"external_data.{j}", e) for j, e in enumerate(v.get("external_data", []))]
            for where, ref in refs:
                if ref["bytes"] > MAX_FILE_BYTES:
                    add(f"{at}.{where}.bytes", f"is {ref['bytes']}; a browser holds a file in one ArrayBuffer of at most "
                        f"{MAX_FILE_BYTES} bytes, so split the weights into external-data shards")
    return problems


def validate_manifest(manifest: Any) -> dict:
    """Returns the manifest if it keeps the contract; raises ManifestError naming the first bad field."""
    problem = _structural_problem(manifest)
    if problem is None:
        problems = semantic_problems(manifest)
        problem = problems[0] if problems else None
    if problem is not None:
        raise ManifestError(problem.path, problem.message)
    return manifest


def load_manifest(path: str | Path) -> dict:
    try:
        data = json.loads(Path(path).read_text())
    except json.JSONDecodeError as e:
        raise ManifestError("(root)", f"is not valid JSON ({e})") from e
    return validate_manifest(data)
