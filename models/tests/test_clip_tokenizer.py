"""CLIP BPE tokenizer: the ids OpenCLIP itself produces, and the browser twin's fixture.

fixtures/clip_tokenizer.json holds, for a corpus of prompts, the ids of OpenCLIP's own tokenizer
(open_clip_torch 3.3.0's tokenizer.py with ftfy 6.3.1) — the reference this code and
app/engine/tokenizer/clip-bpe.ts must both reproduce. Regenerate it (open_clip is not a dependency:
its package imports torchvision, which does not install beside our torch; its tokenizer module
imports neither):

    pip download --no-deps open_clip_torch==3.3.0 -d /tmp/oc && unzip -o /tmp/oc/*.whl -d /tmp/oc
    pip install --target /tmp/ftfy ftfy==6.3.1
    UPDATE_FIXTURES=1 OPEN_CLIP_DIR=/tmp/oc/open_clip PYTHONPATH=/tmp/ftfy \
        models/.venv/bin/python -m pytest models/tests/test_clip_tokenizer.py
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from pathlib import Path

import pytest

from t2v_turbo.nets.clip_tokenizer import NUM_MERGES, VOCAB_FILE, VOCAB_SIZE, ClipBpeTokenizer, clean

FIXTURE = Path(__file__).parent / "fixtures" / "clip_tokenizer.json"
# sha256 of open_clip_torch 3.3.0's open_clip/bpe_simple_vocab_16e6.txt.gz, copied byte for byte.
VOCAB_SHA256 = "924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a"

CORPUS = [
    "a red circle moving right",
    "A corgi surfing a wave at sunset, cinematic lighting, 4k",
    "Close-up of a barista pouring latte art in slow motion.",
    "SALE!!! 50% OFF — today only; don't miss it…",
    "An astronaut riding a horse on Mars, photorealistic, 8K HDR",
    "It's a beautiful day: they're here, we've won, I'm happy, you'll see, he'd go",
    "Crème brûlée à la café, naïve façade, Ångström, São Paulo",
    "Straße İstanbul ΟΔΟΣ ΣΑΣ",
    "curly ‘quotes’ and “double quotes” ‚low‛ „low“",
    "ligatures: ﬁne ﬂow ﬀ ﬃ ﬄ ﬆ Ĳssel ǅ",
    "ＦＵＬＬＷＩＤＴＨ ｔｅｘｔ １２３　space ｶﾀｶﾅ",
    "html: Tom &amp; Jerry &lt;3 &quot;cats&quot; &#39;n&#x27; &apos;mice&apos;&nbsp;here",
    "double escaped &amp;amp; and &amp;lt;tag&amp;gt;",
    "一只红色的圆圈向右移动",
    "カタカナ ひらがな 漢字 한국어",
    "Привет, мир! Ёлка",
    "مرحبا بالعالم",
    "🔥 SALE 🔥 😀😃 🥰 👍🏽 🇫🇷",
    "tab\tnew\nline\rcarriage   many    spaces",
    "\x00nul \x07bell \x7fdel zero\u200bwidth \ufeffbom",
    "numbers 1234567890 3.14159 1920s 2nd 100m",
    "e-mail@example.com C++/C# http://x.y/z?q=1&r=2",
    "!!!???... --->>> <<<=== $$$ ~~~ ^^^",
    "supercalifragilisticexpialidocious antidisestablishmentarianism pneumonoultramicroscopic",
    "word " * 80,
    "",
    "   ",
]
MAX_LENGTHS = (77, 8, 2)


@pytest.fixture(scope="module")
def tokenizer() -> ClipBpeTokenizer:
    return ClipBpeTokenizer.from_file()


def test_vocabulary_is_openclips_file(tokenizer):
    assert hashlib.sha256(VOCAB_FILE.read_bytes()).hexdigest() == VOCAB_SHA256
    assert tokenizer.vocab_size == VOCAB_SIZE == 49_408  # = the text tower's token_embedding rows
    assert len(tokenizer.ranks) == NUM_MERGES
    assert (tokenizer.bos_id, tokenizer.eos_id) == (49406, 49407)
    assert tokenizer.ids["!"] == 0 and tokenizer.ids["a</w>"] == 320


def _openclip_reference():
    """OpenCLIP's SimpleTokenizer, loaded from its file (the package's __init__ needs torchvision)."""
    folder = os.environ.get("OPEN_CLIP_DIR")
    if not folder:
        return None
    spec = importlib.util.spec_from_file_location("open_clip_tokenizer", Path(folder) / "tokenizer.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SimpleTokenizer(bpe_path=str(Path(folder) / "bpe_simple_vocab_16e6.txt.gz"))


def test_fixture_holds_openclips_ids(tokenizer):
    reference = _openclip_reference()
    if os.environ.get("UPDATE_FIXTURES"):
        if reference is None:
            pytest.fail("UPDATE_FIXTURES needs OPEN_CLIP_DIR (see this module's docstring)")
        cases = []
        for text in CORPUS:
            for length in MAX_LENGTHS:
                ids = reference([text], context_length=length)[0].tolist()
                cases.append({"text": text, "max_length": length, "input_ids": ids})
        FIXTURE.write_text(json.dumps({"source": "open_clip_torch 3.3.0 SimpleTokenizer (ftfy 6.3.1)",
                                       "vocab": "bpe_simple_vocab_16e6.txt.gz", "cases": cases}, indent=1,
                                      ensure_ascii=False) + "\n")
    fixture = json.loads(FIXTURE.read_text())
    assert [c["text"] for c in fixture["cases"][:: len(MAX_LENGTHS)]] == CORPUS
    if reference is not None:  # cross-check the stored ids against OpenCLIP again when it is at hand
        for case in fixture["cases"]:
            assert reference([case["text"]], context_length=case["max_length"])[0].tolist() == case["input_ids"]


def test_matches_openclip_on_every_fixture_case(tokenizer):
    fixture = json.loads(FIXTURE.read_text())
    for case in fixture["cases"]:
        enc = tokenizer.encode(case["text"], case["max_length"])
        # OpenCLIP cuts an over-long sequence and makes its last id end-of-text; we keep room for it.
        assert enc.input_ids == case["input_ids"], repr(case["text"])
        real = sum(1 for i in case["input_ids"] if i != 0)
        assert sum(enc.attention_mask) == real


def test_truncation_keeps_start_and_end_of_text(tokenizer):
    enc = tokenizer.encode("word " * 100)
    assert enc.truncated and len(enc.input_ids) == 77
    assert enc.input_ids[0] == 49406 and enc.input_ids[-1] == 49407
    short = tokenizer.encode("a red circle")
    assert not short.truncated
    assert short.input_ids[:5] == [49406, 320, 736, 7117, 49407] and set(short.input_ids[5:]) == {0}


def test_clean_subset_of_ftfy():
    assert clean("  Don’t  ﬁnd\tＡＢＣ &amp;amp; ") == "don't find abc &"
    assert clean("\x00a\u200bb") == "a\u200bb"  # ftfy keeps U+200B; NUL goes


def test_batch_and_manifest_entry(tokenizer):
    batch = tokenizer(["a", "b c"])
    assert tuple(batch.input_ids.shape) == (2, 77)
    entry = tokenizer.manifest_entry({"path": "vocab.txt", "bytes": 1, "sha256": "0" * 64})
    assert entry == {"kind": "clip-bpe", "vocab": {"path": "vocab.txt", "bytes": 1, "sha256": "0" * 64},
                     "max_length": 77, "bos_id": 49406, "eos_id": 49407, "pad_id": 0}
    with pytest.raises(TypeError):
        tokenizer("a single string")


def test_the_packaged_merge_file_is_plain_and_complete(tmp_path, tokenizer):
    from t2v_turbo.nets.clip_tokenizer import write_plain_vocab

    plain = write_plain_vocab(tmp_path / "bpe_merges.txt")
    assert plain.stat().st_size < 600_000  # the merges in use, not the file's 262,144 lines
    again = ClipBpeTokenizer.from_file(plain)
    assert again.ids == tokenizer.ids and again.ranks == tokenizer.ranks
