"""The attribute vocabulary of promo clips: colours, shapes, words, motions, speeds, pans, degradations.

Each value has the plain word that short captions use and synonyms that dense captions draw from.
A few synonyms are reserved for evaluation (`EVAL_ONLY_*`): no training caption ever uses them, so
prompts with them test whether the model follows meaning rather than memorised words.
"""

from __future__ import annotations

# name -> sRGB. Saturated, well-separated hues: at 64x64 px a colour must read at a glance.
COLORS: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 40),
    "green": (30, 170, 60),
    "blue": (30, 80, 220),
    "yellow": (250, 215, 30),
    "orange": (250, 130, 20),
    "purple": (130, 50, 180),
    "white": (245, 245, 245),
    "black": (15, 15, 15),
    "pink": (245, 120, 180),
    "cyan": (40, 210, 230),
}

COLOR_SYNONYMS: dict[str, list[str]] = {
    "red": ["red", "crimson", "ruby", "cherry-red"],
    "green": ["green", "emerald", "leaf-green", "grass-green"],
    "blue": ["blue", "azure", "cobalt", "royal blue"],
    "yellow": ["yellow", "golden", "lemon-yellow", "sunny yellow"],
    "orange": ["orange", "tangerine", "amber", "bright orange"],
    "purple": ["purple", "violet", "plum", "deep purple"],
    "white": ["white", "snow-white", "ivory", "pure white"],
    "black": ["black", "jet-black", "ebony", "pitch-black"],
    "pink": ["pink", "rose", "bubblegum-pink", "hot pink"],
    "cyan": ["cyan", "turquoise", "aqua", "teal"],
}

SHAPES = ("circle", "square", "triangle", "star")
TEXT = "text"  # the `shape` of a word object
WORDS = ("SALE", "NEW", "HOT", "WOW", "GO", "TOP", "WIN", "OK")

SHAPE_SYNONYMS: dict[str, list[str]] = {
    "circle": ["circle", "disc", "dot", "round shape"],
    "square": ["square", "box", "block", "tile"],
    "triangle": ["triangle", "three-sided shape", "wedge", "triangular shape"],
    "star": ["star", "five-pointed star", "star shape", "little star"],
}

MOTIONS = ("left", "right", "up", "down", "zoom_in", "zoom_out", "rotate", "bounce", "still")
# The directed motions' unit vectors in image coordinates (x right, y down).
TRANSLATIONS: dict[str, tuple[int, int]] = {"left": (-1, 0), "right": (1, 0), "up": (0, -1), "down": (0, 1)}
# Rotation cannot be seen on a circle, so that pairing is never drawn (its caption would lie).
INVISIBLE = {("circle", "rotate")}

MOTION_SHORT: dict[str, str] = {
    "left": "moving left",
    "right": "moving right",
    "up": "moving up",
    "down": "moving down",
    "zoom_in": "zooming in",
    "zoom_out": "zooming out",
    "rotate": "rotating",
    "bounce": "bouncing",
    "still": "staying still",
}

# Verb phrases for dense captions ("{subject} {phrase}"); {adv} is the speed adverb's slot.
MOTION_DENSE: dict[str, list[str]] = {
    "left": ["glides {adv} toward the left", "slides {adv} to the left", "drifts {adv} leftward",
             "travels {adv} across the frame to the left"],
    "right": ["glides {adv} toward the right", "slides {adv} to the right", "drifts {adv} rightward",
              "travels {adv} across the frame to the right"],
    "up": ["rises {adv} upward", "floats {adv} toward the top", "climbs {adv} up the frame", "moves {adv} upward"],
    "down": ["sinks {adv} downward", "falls {adv} toward the bottom", "drops {adv} down the frame",
             "moves {adv} downward"],
    "zoom_in": ["grows {adv} larger", "scales up {adv}", "expands {adv} toward the viewer", "zooms in {adv}"],
    "zoom_out": ["shrinks {adv}", "scales down {adv}", "recedes {adv} into the distance", "zooms out {adv}"],
    "rotate": ["spins {adv} clockwise", "rotates {adv} in place", "turns {adv} around its centre",
               "twirls {adv} clockwise"],
    "bounce": ["bounces {adv} up and down", "hops {adv} along", "bounces {adv} like a ball", "jumps {adv} up and down"],
    "still": ["stays perfectly still", "holds its position", "sits motionless", "remains in place"],
}

SPEEDS = ("slow", "fast")
SPEED_ADVERBS: dict[str, list[str]] = {
    "slow": ["slowly", "gently", "steadily", "leisurely"],
    "fast": ["quickly", "rapidly", "swiftly", "briskly"],
}

PANS = ("left", "right", "up", "down")
PAN_DENSE: dict[str, list[str]] = {
    "left": ["while the camera pans left", "as the camera sweeps to the left", "with a slow camera pan to the left"],
    "right": ["while the camera pans right", "as the camera sweeps to the right",
              "with a slow camera pan to the right"],
    "up": ["while the camera tilts up", "as the camera pans upward", "with a slow upward camera pan"],
    "down": ["while the camera tilts down", "as the camera pans downward", "with a slow downward camera pan"],
}

DEGRADATIONS = ("noise", "blur", "jitter", "low_contrast", "watermark")

# Reserved for evaluation prompts: never in a training caption.
EVAL_ONLY_COLOR_SYNONYMS = {"red": "scarlet", "blue": "sapphire", "green": "jade", "yellow": "canary"}
EVAL_ONLY_SHAPE_SYNONYMS = {"circle": "orb", "square": "cube", "triangle": "pyramid", "star": "star-shaped badge"}
EVAL_ONLY_MOTION_PHRASES = {"left": "sliding left", "right": "sweeping right", "up": "soaring up",
                            "down": "plunging down", "rotate": "whirling", "zoom_in": "swelling"}
