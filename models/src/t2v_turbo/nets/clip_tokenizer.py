"""OpenAI CLIP's byte-level BPE tokenizer, as OpenCLIP applies it for VideoCrafter2's text tower.

Pipeline (OpenCLIP's `SimpleTokenizer` with clean="lower", the VideoCrafter2 setting):
  clean      the parts of ftfy.fix_text that touch ordinary prompts (control characters dropped,
             Latin ligatures split, full-width forms narrowed, curly quotes straightened, NFC),
             then HTML entities unescaped twice, whitespace runs -> one space, lower case;
  split      `'s|'t|'re|'ve|'m|'ll|'d|\\p{L}+|\\p{N}|[^\\s\\p{L}\\p{N}]+` (one digit per token);
  bytes      each piece's UTF-8 bytes mapped to printable characters (GPT-2's byte table);
  BPE        merge the adjacent pair of lowest rank until none is in the merge list; the last
             symbol of a piece carries `</w>`;
  ids        [start of text] + ids + [end of text], cut to `max_length` (the last kept id becomes
             end of text), padded with 0 (which is also the id of "!": CLIP pads with it, and the
             causal text tower never lets padding reach earlier tokens).

Known, deliberate differences from OpenCLIP (none affects ordinary prompts): ftfy's mojibake repair
and terminal-escape removal are not applied; only the HTML entities `&amp; &lt; &gt; &quot; &apos;
&nbsp;` and numeric ones are unescaped (OpenCLIP's html.unescape knows all 2,231); special-token
strings typed in a prompt are plain text, not control tokens.

The vocabulary is OpenCLIP's `bpe_simple_vocab_16e6.txt.gz` (from the open_clip_torch 3.3.0 wheel,
MIT licence, first published with OpenAI's CLIP): a header line, then merges, one "a b" per line;
the first 48,894 make the 49,408-token vocabulary. The browser twin is
app/engine/tokenizer/clip-bpe.ts; models/tests/fixtures/clip_tokenizer.json holds ids from OpenCLIP
itself that both must reproduce.
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
import regex

from .tokenizer import Encoding, WordPieceTokenizer

VOCAB_FILE = Path(__file__).with_name("clip_bpe_simple_vocab_16e6.txt.gz")
NUM_MERGES = 49152 - 256 - 2  # OpenCLIP keeps merges[1 : 49152 - 256 - 2 + 1]
VOCAB_SIZE = 2 * 256 + NUM_MERGES + 2  # bytes, bytes + "</w>", merges, two specials = 49,408

# Python's str.isspace() set, spelled out so that the TypeScript twin uses exactly the same one.
WHITESPACE = "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# After whitespace has been collapsed, the only white space left is " ".
PIECE = regex.compile(r"'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^ \p{L}\p{N}]+")

# ftfy.fix_text steps that change ordinary text (ftfy 6.3: remove_control_chars, fix_latin_ligatures,
# fix_character_width, uncurl_quotes).
CONTROL_CHARS = {
    cp: None
    for cp in [*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F, *range(0x206A, 0x2070), 0xFEFF,
               *range(0xFFF9, 0xFFFD)]
}
LIGATURES = {
    ord(k): v
    for k, v in {
        "Ĳ": "IJ", "ĳ": "ij", "ŉ": "ʼn", "Ǳ": "DZ", "ǲ": "Dz", "ǳ": "dz", "Ǆ": "DŽ", "ǅ": "Dž", "ǆ": "dž",
        "Ǉ": "LJ", "ǈ": "Lj", "ǉ": "lj", "Ǌ": "NJ", "ǋ": "Nj", "ǌ": "nj",
        "ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "ſt", "ﬆ": "st",
    }.items()
}
QUOTES = {**{cp: "'" for cp in (0x02BC, 0x2018, 0x2019, 0x201A, 0x201B)}, **{cp: '"' for cp in range(0x201C, 0x2020)}}
NAMED_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'", "nbsp": "\xa0"}
ENTITY = re.compile(r"&(?:#[xX]([0-9a-fA-F]{1,6})|#([0-9]{1,7})|(amp|lt|gt|quot|apos|nbsp));")


def _width(ch: str) -> str:
    """Full-width and half-width forms (U+FF01..U+FFEF) -> their NFKC form; U+3000 -> space."""
    cp = ord(ch)
    if cp == 0x3000:
        return " "
    return unicodedata.normalize("NFKC", ch) if 0xFF01 <= cp <= 0xFFEF else ch


def _entity(m: re.Match) -> str:
    hex_code, dec_code, name = m.groups()
    if name:
        return NAMED_ENTITIES[name]
    cp = int(hex_code, 16) if hex_code else int(dec_code)
    # html.unescape maps NUL, surrogates and out-of-range code points to U+FFFD.
    return "\ufffd" if cp == 0 or 0xD800 <= cp <= 0xDFFF or cp > 0x10FFFF else chr(cp)


def clean(text: str) -> str:
    """OpenCLIP's clean="lower" (ftfy subset, HTML unescape x2, whitespace collapse, lower case)."""
    text = text.translate(CONTROL_CHARS).translate(LIGATURES)
    text = "".join(_width(ch) for ch in text).translate(QUOTES)
    text = unicodedata.normalize("NFC", text)
    text = ENTITY.sub(_entity, ENTITY.sub(_entity, text)).strip()
    return " ".join(regex.split(f"[{WHITESPACE}]+", text)).strip().lower()


PRINTABLE_BYTES = [*range(0x21, 0x7F), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
# Vocabulary order of the 256 byte symbols: printable bytes first, then the other 68, each in byte order.
BYTE_ORDER = [*PRINTABLE_BYTES, *(b for b in range(256) if b not in PRINTABLE_BYTES)]


@lru_cache(maxsize=1)
def byte_symbols() -> list[str]:
    """GPT-2's table, indexed by byte: printable Latin-1 bytes map to themselves, the other 68 to
    U+0100 onwards (in byte order)."""
    extra = iter(range(0x100, 0x200))
    return [chr(b) if b in PRINTABLE_BYTES else chr(next(extra)) for b in range(256)]


def read_merges(path: str | Path = VOCAB_FILE) -> list[tuple[str, str]]:
    """The merge list from a (gzipped or plain) OpenCLIP BPE file; header line skipped."""
    path = Path(path)
    raw = path.read_bytes()
    text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8")
    lines = text.split("\n")[1 : 1 + NUM_MERGES]
    if len(lines) != NUM_MERGES:
        raise ValueError(f"{path}: {len(lines)} merges, expected {NUM_MERGES} (an OpenCLIP BPE vocabulary)")
    merges = []
    for i, line in enumerate(lines):
        parts = line.split(" ")
        if len(parts) != 2:
            raise ValueError(f"{path}: line {i + 2} is not a merge 'a b': {line!r}")
        merges.append((parts[0], parts[1]))
    return merges


class ClipBpeTokenizer:
    """CLIP BPE over OpenCLIP's merge list; ids 49406 / 49407 are start / end of text."""

    def __init__(self, merges: list[tuple[str, str]], max_length: int = 77, pad_id: int = 0):
        if max_length < 2:
            raise ValueError(f"max_length must be at least 2 (room for start and end of text), got {max_length}")
        symbols = [byte_symbols()[b] for b in BYTE_ORDER]
        vocab = [*symbols, *(s + "</w>" for s in symbols), *(a + b for a, b in merges)]
        self.ids = {token: i for i, token in enumerate(vocab)}
        if len(self.ids) != len(vocab):
            raise ValueError("the merge list produces duplicate tokens; ids would be ambiguous")
        self.bos_id, self.eos_id = len(vocab), len(vocab) + 1
        self.vocab_size = len(vocab) + 2
        self.ranks = {pair: rank for rank, pair in enumerate(merges)}
        self.max_length = max_length
        self.pad_id = pad_id
        self._cache: dict[str, list[str]] = {}

    @classmethod
    def from_file(cls, path: str | Path = VOCAB_FILE, **kwargs) -> ClipBpeTokenizer:
        return cls(read_merges(path), **kwargs)

    def bpe(self, piece: str) -> list[str]:
        """Byte-mapped piece -> BPE symbols; the last carries `</w>`."""
        if piece in self._cache:
            return self._cache[piece]
        word = [*piece[:-1], piece[-1] + "</w>"]
        while len(word) > 1:
            ranked = [(self.ranks.get(pair, len(self.ranks)), pair) for pair in zip(word, word[1:])]
            rank, (first, second) = min(ranked)
            if rank == len(self.ranks):
                break
            merged, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and word[i] == first and word[i + 1] == second:
                    merged.append(first + second)
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = merged
        self._cache[piece] = word
        return word

    def tokenize(self, text: str) -> list[str]:
        """BPE symbols of `text`, without the start/end tokens or truncation."""
        symbols = byte_symbols()
        out: list[str] = []
        for piece in PIECE.findall(clean(text)):
            out.extend(self.bpe("".join(symbols[b] for b in piece.encode("utf-8"))))
        return out

    def encode(self, text: str, max_length: int | None = None) -> Encoding:
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        length = self.max_length if max_length is None else max_length
        tokens = self.tokenize(text)
        kept = tokens[: length - 2]
        ids = [self.bos_id, *(self.ids[t] for t in kept), self.eos_id]
        pad = length - len(ids)
        return Encoding(
            input_ids=ids + [self.pad_id] * pad,
            attention_mask=[1] * len(ids) + [0] * pad,
            tokens=["<start_of_text>", *kept, "<end_of_text>"],
            truncated=len(kept) < len(tokens),
        )

    # Batching only calls self.encode: the same (B, max_length) int64 tensors as the WordPiece tokenizer.
    __call__ = WordPieceTokenizer.__call__

    def manifest_entry(self, vocab_ref: dict) -> dict:
        """The manifest's `text.tokenizer` object (vocab_ref: the merge file, {path, bytes, sha256})."""
        return {
            "kind": "clip-bpe",
            "vocab": vocab_ref,
            "max_length": self.max_length,
            "bos_id": self.bos_id,
            "eos_id": self.eos_id,
            "pad_id": self.pad_id,
        }


def write_plain_vocab(dst: str | Path, src: str | Path = VOCAB_FILE) -> Path:
    """The merge file as a package ships it: plain UTF-8 (the browser reads it as text), the header
    and the NUM_MERGES merges in use (OpenCLIP's file holds 262,144 lines; 0.5 MB of 3.2 MB is used)."""
    raw = Path(src).read_bytes()
    lines = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8").split("\n")
    Path(dst).write_text("\n".join(lines[: 1 + NUM_MERGES]) + "\n", encoding="utf-8")
    return Path(dst)
