"""stepgrad's one palette: the colours of classes and signs, of the training phases and of a
node's role, for every picture the project makes.

Orange is negative and blue positive, as in TensorFlow Playground: class -1 (or class 0 of
two), a negative weight, activation or gradient are orange; class +1 (or 1), a positive one,
blue. With more classes, class k is CLASSES[k] (0 orange, 1 blue, then green, purple, ...).
A heat map runs from NEGATIVE through NEUTRAL (a value near 0) to POSITIVE.

The demos' matplotlib pictures (demos/common.py), the drawings (dot.py), the animated page
(page.py hands PHASES to its script), the Studio and its saved page (nn.studio_protocol sends
the palette in its setup message) all read it from here.
"""

from __future__ import annotations

NEGATIVE = "#ea580c"  # orange: class -1 or 0, a negative number
POSITIVE = "#2563eb"  # blue: class +1 or 1, a positive number
NEUTRAL = "#f4f4f5"  # the middle of a heat map: a value near 0
CLASSES = (
    NEGATIVE,
    POSITIVE,
    "#16a34a",
    "#9333ea",
    "#db2777",
    "#0891b2",
    "#ca8a04",
    "#4b5563",
    "#b91c1c",
    "#1e3a8a",
)
PHASES = {  # the four steps of training, as the animated page and the Studio's graph show them
    "forward": "#2563eb",
    "error": "#7c3aed",
    "backward": "#dc2626",
    "update": "#15803d",
}
ROLES = {  # a node's fill in a drawing, by its role in the graph
    "input": "#dbeafe",
    "parameter": "#dcfce7",
    "constant": "#e5e7eb",
    "intermediate": "#ffffff",
    "output": "#ede9fe",
}
HIGHLIGHT = "#fde68a"  # the node whose turn it is, or one the caller marks


def class_color(label: float, classes: int = 2) -> str:
    """The colour of a class: for two classes labelled ±1 (or 0/1), NEGATIVE for -1 (or 0) and
    POSITIVE for +1 (or 1); for class indices 0..k-1, CLASSES[k] (cycling past ten)."""
    if classes <= 2:
        return POSITIVE if label > 0.5 else NEGATIVE
    return CLASSES[int(label) % len(CLASSES)]


def as_dict() -> dict[str, object]:
    """The palette as plain data, for a page's script."""
    return {
        "negative": NEGATIVE,
        "positive": POSITIVE,
        "neutral": NEUTRAL,
        "classes": list(CLASSES),
        "phases": dict(PHASES),
    }
