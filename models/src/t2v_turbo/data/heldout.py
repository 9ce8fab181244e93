"""Held-out evaluation: attribute combinations no training clip shows, and the fixed eval prompts.

`HELDOUT_TRIPLES` are (colour, shape, motion) triples excluded from the train and val splits (each
colour, shape and motion still appears in training, only never together). `EVAL_PROMPTS` probe
three things: prompts in the training style (`seen`), paraphrases with words no training caption
uses (`paraphrase`), and the held-out triples (`unseen-combination`).
"""

from __future__ import annotations

from t2v_turbo.data.vocabulary import MOTION_SHORT

HELDOUT_TRIPLES: frozenset[tuple[str, str, str]] = frozenset({
    ("red", "triangle", "up"),
    ("blue", "star", "left"),
    ("green", "square", "zoom_in"),
    ("yellow", "circle", "down"),
    ("purple", "triangle", "rotate"),
    ("orange", "star", "bounce"),
    ("white", "square", "right"),
    ("pink", "circle", "zoom_out"),
    ("cyan", "triangle", "left"),
    ("black", "star", "up"),
})


def _prompt(prompt: str, color: str, shape: str, motion: str, kind: str) -> dict:
    return {"prompt": prompt, "color": color, "shape": shape, "motion": motion, "kind": kind}


def _short(color: str, shape: str, motion: str, kind: str) -> dict:
    return _prompt(f"a {color} {shape} {MOTION_SHORT[motion]}", color, shape, motion, kind)


EVAL_PROMPTS: list[dict] = [
    # Seen: the short-caption style on combinations that training shows.
    _short("red", "circle", "right", "seen"),
    _short("blue", "square", "up", "seen"),
    _short("yellow", "star", "rotate", "seen"),
    _short("green", "triangle", "zoom_in", "seen"),
    _short("orange", "circle", "bounce", "seen"),
    _short("purple", "square", "left", "seen"),
    _short("white", "star", "down", "seen"),
    _short("pink", "triangle", "zoom_out", "seen"),
    _short("cyan", "circle", "still", "seen"),
    _short("black", "square", "rotate", "seen"),
    # Paraphrases of seen combinations, with words reserved for evaluation (vocabulary.EVAL_ONLY_*).
    _prompt("a crimson disc sliding left", "red", "circle", "left", "paraphrase"),
    _prompt("a scarlet orb sweeping right", "red", "circle", "right", "paraphrase"),
    _prompt("a sapphire cube soaring up", "blue", "square", "up", "paraphrase"),
    _prompt("a canary star-shaped badge whirling", "yellow", "star", "rotate", "paraphrase"),
    _prompt("a jade pyramid swelling", "green", "triangle", "zoom_in", "paraphrase"),
    _prompt("a golden star plunging down", "yellow", "star", "down", "paraphrase"),
    _prompt("an emerald block sliding left", "green", "square", "left", "paraphrase"),
    _prompt("a violet wedge sweeping right", "purple", "triangle", "right", "paraphrase"),
    # Unseen combinations: every held-out triple, in the short style.
    *[_short(c, s, m, "unseen-combination") for c, s, m in sorted(HELDOUT_TRIPLES)],
]


def is_heldout(color: str, shape: str, motion: str) -> bool:
    return (color, shape, motion) in HELDOUT_TRIPLES
