"""Captions from true attributes, in the paper's two styles.

short: WebVid-like, one plain phrase per object: "a red circle moving right".
dense: VidGen-like, one or two sentences that also describe speed, size, position, background and
camera, with synonyms and varied sentence structure drawn from the item's random generator:
"A crimson disc glides steadily toward the right over a soft blue-to-purple gradient."
Neither style mentions degradations: a caption says what a clip shows, not how well it is shot.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from t2v_turbo.data.scene import Scene, SceneObject
from t2v_turbo.nets.tokenizer import WordPieceTokenizer
from t2v_turbo.data.vocabulary import (
    COLOR_SYNONYMS,
    MOTION_DENSE,
    MOTION_SHORT,
    PAN_DENSE,
    SHAPE_SYNONYMS,
    SPEED_ADVERBS,
    TEXT,
)


# Word pieces, [CLS] and [SEP] included: the text encoder's max_length (48), so no caption is cut.
MAX_DENSE_TOKENS = 48


@cache
def _tokenizer() -> WordPieceTokenizer:
    return WordPieceTokenizer.minilm(max_length=512)


def _token_count(caption: str) -> int:
    return len(_tokenizer().tokenize(caption)) + 2


def _article(phrase: str) -> str:
    return ("an " if phrase[0] in "aeiou" else "a ") + phrase


def _short_subject(obj: SceneObject) -> str:
    if obj.shape == TEXT:
        return f"the {obj.color} word {obj.word}"
    return _article(f"{obj.color} {obj.shape}")


def short_caption(scene: Scene) -> str:
    """One plain phrase per object, joined by "and"; deterministic."""
    return " and ".join(f"{_short_subject(o)} {MOTION_SHORT[o.motion]}" for o in scene.objects)


def _pick(rng: np.random.Generator, options: list[str]) -> str:
    return options[int(rng.integers(len(options)))]


def _size_word(obj: SceneObject) -> str | None:
    if obj.shape == TEXT:
        return None
    if obj.size < 0.1:
        return "small"
    if obj.size > 0.17:
        return "large"
    return None


def _position(obj: SceneObject) -> str | None:
    x, y = obj.start
    col = "left" if x < 0.35 else "right" if x > 0.65 else None
    row = "top" if y < 0.35 else "bottom" if y > 0.65 else None
    if col and row:
        return f"the {row} {col}"
    if col or row:
        return f"the {col or row}"
    return "the centre"


def _dense_subject(rng: np.random.Generator, obj: SceneObject, definite: bool = False) -> str:
    color = _pick(rng, COLOR_SYNONYMS[obj.color])
    if obj.shape == TEXT:
        return _pick(rng, [f"the bold {color} word {obj.word}", f"the {color} text {obj.word}",
                           f"the {color} {obj.word} sign", f"a {color} {obj.word} headline"])
    size = _size_word(obj) if rng.random() < 0.7 else None
    noun = _pick(rng, SHAPE_SYNONYMS[obj.shape])
    words = " ".join(w for w in (size, color, noun) if w)
    return f"the {words}" if definite else _article(words)


def _dense_motion(rng: np.random.Generator, obj: SceneObject) -> str:
    phrase = _pick(rng, MOTION_DENSE[obj.motion])
    adverb = _pick(rng, SPEED_ADVERBS[obj.speed]) if obj.speed else ""
    return " ".join(phrase.replace("{adv}", adverb).split())


def _dense_background(rng: np.random.Generator, scene: Scene) -> str:
    bg = scene.background
    if bg.kind == "solid":
        c = _pick(rng, COLOR_SYNONYMS[bg.colors[0]])
        return _pick(rng, [f"on a plain {c} background", f"over a solid {c} backdrop",
                           f"against a flat {c} background"])
    a, b = (_pick(rng, COLOR_SYNONYMS[c]) for c in bg.colors)
    return _pick(rng, [f"over a soft {a}-to-{b} gradient", f"against a gradient that fades from {a} to {b}",
                       f"on a {a} and {b} gradient background"])


def _clause(rng: np.random.Generator, obj: SceneObject, positions: bool) -> str:
    """"a small crimson disc starting at the top left glides steadily toward the right"."""
    subject = _dense_subject(rng, obj)
    where = _position(obj) if rng.random() < 0.35 and positions else None
    if where:
        subject = f"{subject} {_pick(rng, ['starting at', 'placed at', 'near'])} {where}"
    return f"{subject} {_dense_motion(rng, obj)}"


def dense_caption(scene: Scene, rng: np.random.Generator) -> str:
    """One or two sentences with synonyms and paraphrases, all true to the scene, within MAX_DENSE_TOKENS."""
    caption = _dense(scene, rng, positions=True)
    if _token_count(caption) > MAX_DENSE_TOKENS:
        caption = _dense(scene, rng, positions=False)  # drop the optional start positions
    while _token_count(caption) > MAX_DENSE_TOKENS:
        caption = _dense(scene, rng, positions=False)  # other synonyms are shorter; a few draws suffice
    return caption


def _dense(scene: Scene, rng: np.random.Generator, positions: bool) -> str:
    background = _dense_background(rng, scene)
    pan = _pick(rng, PAN_DENSE[scene.pan]) if scene.pan else None
    first = _clause(rng, scene.objects[0], positions)
    if rng.random() < 0.5:
        sentence = f"{first} {background}"
    else:
        sentence = f"{background[0].upper()}{background[1:]}, {first}"
    if pan:
        sentence += f", {pan}"
    sentences = [sentence]
    if len(scene.objects) == 2:
        second = _clause(rng, scene.objects[1], positions)
        lead = _pick(rng, ["Meanwhile,", "Nearby,", "At the same time,", "Beside it,"])
        sentences.append(f"{lead} {second}")
    return " ".join(s[0].upper() + s[1:] + "." for s in sentences)
