"""Seeing graphs: `to_dot` (a graphviz.Digraph), `draw` (a file), `animate` (a page).

    draw(loss, "loss.svg")                     # .svg .png .pdf via Graphviz's dot; .dot needs none
    draw(model_loss, "mlp.svg", group=True)    # clusters by module: layers.0, layers.0.neurons.3
    animate(loss, "step.html", forward=True, params=model.parameters(), lr=0.1)
    animate(loss)                              # in Jupyter: the page inline; .save(path)

Every `Value` is a record `name | data | grad` coloured by its role (input, parameter,
intermediate, output); an unlabelled node is named `#k` here as in the step text and the page.
Graphs past `max_nodes` raise `GraphTooLargeError` at once (or, with `summary=True`, draw the
nodes nearest the output and a box for the rest). All text is shown as plain text.

The parts, bottom up: `text` (escaping and names), `dot` (the DOT source and Graphviz),
`playback` (the frames of a training step, no HTML), `page` (the animated page).
"""

from autograd.viz.dot import (
    COLORS,
    FORMATS,
    INSTALL_HINT,
    MAX_NODES,
    Drawing,
    GraphTooLargeError,
    GraphvizNotFoundError,
    dot_program,
    draw,
    to_dot,
)
from autograd.viz.page import ANIMATE_MAX_NODES, Animation, animate
from autograd.viz.playback import PHASES, Change, Frame, Playback, playback
from autograd.viz.text import MAX_SHOWN

__all__ = [
    "ANIMATE_MAX_NODES",
    "COLORS",
    "FORMATS",
    "INSTALL_HINT",
    "MAX_NODES",
    "MAX_SHOWN",
    "PHASES",
    "Animation",
    "Change",
    "Drawing",
    "Frame",
    "GraphTooLargeError",
    "GraphvizNotFoundError",
    "Playback",
    "animate",
    "dot_program",
    "draw",
    "playback",
    "to_dot",
]
