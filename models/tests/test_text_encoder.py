"""Our MiniLM text encoder against transformers' BertModel and sentence-transformers (the references).

Both references load the same packaged folder offline (HF_HUB_OFFLINE=1).
"""

import os
from functools import cache

import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
torch.set_num_threads(2)

from t2v_turbo.nets.text_encoder import TextEncoder  # noqa: E402
from t2v_turbo.nets.tokenizer import minilm_dir  # noqa: E402

TEXTS = [
    "a red circle moving right",
    "A crimson disc glides steadily toward the right over a soft blue-to-violet gradient.",
    "SALE",
    "",
    "two objects: a green star rotating slowly and the word WOW bouncing, camera panning up",
]


@cache
def encoder() -> TextEncoder:
    return TextEncoder.from_pretrained()


def test_frozen_and_shaped():
    enc = encoder()
    assert all(not p.requires_grad for p in enc.parameters())
    enc.train()
    assert not enc.training  # a parent's .train() cannot unfreeze it
    context, mask = enc.encode(TEXTS)
    assert context.shape == (5, 48, 384) and context.dtype == torch.float32
    assert mask.shape == (5, 48) and mask.dtype == torch.float32
    assert mask[3].sum() == 2  # "" -> [CLS] [SEP]
    assert torch.all(context[mask == 0] == 0)  # padded positions zeroed


@pytest.mark.slow  # importing transformers alone takes seconds
def test_last_hidden_state_matches_transformers():
    from transformers import BertModel

    ref = BertModel.from_pretrained(str(minilm_dir()), add_pooling_layer=False).eval()
    enc = encoder()
    batch = enc.tokenizer(TEXTS)
    with torch.no_grad():
        want = ref(input_ids=batch.input_ids, attention_mask=batch.attention_mask).last_hidden_state
        got = enc(batch.input_ids, batch.attention_mask)
    valid = batch.attention_mask.bool()
    err = (got[valid] - want[valid]).abs().max().item()
    print(f"\ntext encoder vs transformers.BertModel: max abs error {err:.2e} over {int(valid.sum())} tokens")
    assert err < 1e-5


def test_pooled_matches_sentence_transformers():
    from sentence_transformers import SentenceTransformer

    ref = SentenceTransformer(str(minilm_dir()), device="cpu")
    texts = [t for t in TEXTS if t]  # sentence-transformers pools "" over [CLS][SEP] too, but keep it plain
    want = torch.from_numpy(ref.encode(texts, convert_to_numpy=True))
    got = encoder().embed(texts)
    cosine = torch.nn.functional.cosine_similarity(got, want, dim=-1)
    print(f"\npooled vs sentence-transformers: min cosine {cosine.min().item():.8f}")
    assert cosine.min() > 0.99999
    torch.testing.assert_close(got.norm(dim=-1), torch.ones(len(texts)), rtol=0, atol=1e-6)


def test_paraphrase_is_closer_than_a_different_scene():
    paraphrase, same, other = encoder().embed(
        ["a crimson disc sliding left", "a red circle moving left", "a blue square moving up"]
    )
    assert paraphrase @ same > paraphrase @ other + 0.1


def test_cache_returns_identical_rows_and_evicts():
    enc = TextEncoder.from_pretrained(cache_size=2)
    first, _ = enc.encode(["a red circle", "a blue square"])
    again, _ = enc.encode(["a blue square", "a red circle", "a blue square"])
    assert torch.equal(again[0], first[1]) and torch.equal(again[1], first[0]) and torch.equal(again[2], first[1])
    enc.encode(["a green star"])  # evicts the least recently used ("a red circle")
    assert list(enc._cache) == ["a blue square", "a green star"]
    # A batch larger than the cache still returns every row.
    context, mask = enc.encode(["x", "y", "z"])
    assert context.shape[0] == 3 and len(enc._cache) == 2
    with pytest.raises(TypeError, match="list of texts"):
        enc.encode("a red circle")


@pytest.mark.slow  # the dynamo export takes ~5 s
def test_forward_exports_to_onnx_and_matches(tmp_path):
    import onnxruntime as ort

    enc = encoder()
    batch = enc.tokenizer(TEXTS[:2])
    path = tmp_path / "text_encoder.onnx"
    torch.onnx.export(
        enc,
        (batch.input_ids[:1], batch.attention_mask[:1]),
        str(path),
        input_names=["input_ids", "attention_mask"],
        output_names=["context"],
        dynamo=True,
        optimize=False,
        verbose=False,
    )
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for i in range(2):
        ids, mask = batch.input_ids[i : i + 1], batch.attention_mask[i : i + 1]
        (got,) = session.run(None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy()})
        with torch.no_grad():
            want = enc(ids, mask)
        err = abs(got - want.numpy()).max()
        assert err < 1e-4, f"onnxruntime vs PyTorch: max abs error {err}"
