"""stepgrad's network layer: modules, losses and optimizers built on the `autograd` engine.

    from nn import MLP, SGD, hinge_loss
    model = MLP(2, [16, 16, 1], seed=0)          # micrograd's moons classifier: 337 parameters
    loss = hinge_loss([model(x) for x in xs], ys)
    model.zero_grad(); loss.backward(); SGD(model.parameters(), lr=0.1).step()

microgpt's GPT is here too, built from the same Values (`GPT`, with its pieces `linear`,
`rmsnorm`, `attention_scores`, `attention` and its tokenizer `CharTokenizer`; the names it
learns from are `nn.datasets.names()`).

Nothing here writes a derivative: every number goes through autograd ops.
"""

from nn.compiled import TracedLoss, Training, trace_loss
from nn.gpt import GPT, CharTokenizer, attention, attention_scores, linear, rmsnorm
from nn.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    l2_penalty,
    log_softmax,
    mse_loss,
    softmax,
)
from nn.module import MLP, Layer, Module, Neuron, initial_weight
from nn.optim import (
    SGD,
    Adam,
    AdamW,
    CosineAnnealingLR,
    LambdaLR,
    Optimizer,
    RMSprop,
    StepLR,
    clip_grad_norm,
)
from nn.studio import Studio

__all__ = [
    "GPT",
    "MLP",
    "SGD",
    "Adam",
    "AdamW",
    "CharTokenizer",
    "CosineAnnealingLR",
    "LambdaLR",
    "Layer",
    "Module",
    "Neuron",
    "Optimizer",
    "RMSprop",
    "StepLR",
    "Studio",
    "TracedLoss",
    "Training",
    "attention",
    "attention_scores",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "clip_grad_norm",
    "cross_entropy",
    "hinge_loss",
    "initial_weight",
    "l2_penalty",
    "linear",
    "log_softmax",
    "mse_loss",
    "rmsnorm",
    "softmax",
    "trace_loss",
]
