"""A GPT on scalar Values: microgpt's model as an nn Module, read top to bottom.

Andrej Karpathy's microgpt (February 2026; gist karpathy/8627fe009c40f57531cb18360106ce95) is
one file of pure Python that trains a character-level GPT on a list of names with a
micrograd-style `Value`. This is its model, number for number:

- the tokenizer (`CharTokenizer`): the sorted distinct characters are ids 0..n-1, and one more
  id, BOS, "starts and ends" every document: "emma" is [BOS, e, m, m, a, BOS];
- token and position embeddings added, then `rmsnorm` (x / √(mean(x²) + 1e-5), no learned
  gain), then each layer: `rmsnorm`, causal multi-head self-attention (queries, keys and
  values are linear maps of the position's vector; each head's scores q·k/√head_dim over
  positions 0..t, a softmax, the weighted sum of the values; the heads concatenated, an output
  map) and a residual add; `rmsnorm`, an MLP n_embd → 4·n_embd → n_embd with ReLU, and a
  residual add; then a linear map to vocab_size logits. No biases;
- every matrix a list of rows (row = output feature, `y = W x`), drawn from a seeded Gaussian
  with std 0.08 in microgpt's order (wte, wpe, lm_head, then each layer's wq, wk, wv, wo, fc1,
  fc2), so `GPT(vocab, seed=rng)` with microgpt's `random` state draws its very weights;
- one position at a time, with the keys and values of the earlier positions kept (microgpt's
  `gpt(token_id, pos_id, keys, values)`); training and sampling run the same code.

What differs is how the graph is written, not what it computes: a weighted sum is one `dot`
node (`linear`), a sum one `sum` node, and the loss is nn's stable cross-entropy
(logsumexp(x) - x[k]) where microgpt writes -log(softmax(x)[k]); the numbers agree to
rounding. The graph of one name is about a seventh of microgpt's, which is what makes the
eager step several times faster than microgpt's own engine (benchmarks/gpt.py measures it).

    from nn import GPT, CharTokenizer
    from nn.datasets import names
    tokenizer = CharTokenizer(names())
    model = GPT(tokenizer.vocab_size, seed=0)
    loss = model.loss(tokenizer.encode("emma"))  # mean next-token cross-entropy, a Value
    loss.backward()

Token ids are ints, or Values holding integers (the ids a traced program takes as inputs);
every place where an id picks something goes through one function, `nn.losses._pick`.
Building a graph makes no reference cycles (a node points only at its parents), so the model
pauses Python's cyclic collector while it builds one, as `backward()` does for its pass: left
on, the collector would walk the thousands of live nodes again and again as they are made.
Nothing here writes a derivative.
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple, Union

import autograd
from autograd import Value, no_grad
from autograd._checks import _is_bool, describe, integer, number, sequence, shown
from autograd.backward import _collector_paused
from autograd.value import settle
from nn.compiled import Training
from nn.losses import _class_loss, _pick, softmax
from nn.module import Module, _check_size, make_rng

Token = Union[int, Value]
INIT_STD = 0.08  # microgpt's `matrix(nout, nin, std=0.08)`
RMS_EPS = 1e-5  # microgpt's rmsnorm: (ms + 1e-5) ** -0.5

# ---- the pieces: each is importable from nn and is what the model calls ----


def linear(x: Sequence[Value | float], w: Sequence[Sequence[Value | float]]) -> list[Value]:
    """Return y = W x for a matrix given as a list of rows: yᵢ = Σⱼ wᵢⱼ·xⱼ, one `dot` node each.

    Row i holds output i's weights (microgpt's `linear(x, w)`, torch's `x @ W.T`); numbers mix
    in as constant leaves. >>> linear([Value(1.0), Value(2.0)], [[0.5, -1.0]])   # [-1.5]
    """
    xs = _vector("linear", x, "x")
    rows = sequence("linear(w)", w, "rows (lists of numbers or Values)")
    for k, row in enumerate(rows):
        width = len(sequence(f"linear(w) row {k}", row, "numbers or Values"))
        if width != len(xs):
            raise ValueError(
                f"linear(w) row {k} has {width} weights for {len(xs)} inputs; each row of w "
                "holds one weight per input (y = W x)"
            )
    return _linear(xs, rows)


def rmsnorm(x: Sequence[Value], eps: float = RMS_EPS) -> list[Value]:
    """Return x / √(mean(x²) + eps): RMSNorm without a learned gain, as microgpt writes it.

    mean(x²) is one `dot` node divided by n, then (· + eps) ** -0.5 scales every element.
    >>> rmsnorm([Value(3.0), Value(4.0)])   # x / √12.50001 ≈ [0.8485, 1.1314]
    """
    xs = _vector("rmsnorm", x, "x")
    return _rmsnorm(xs, number("rmsnorm(eps)", eps))


def attention_scores(q: Sequence[Value], keys: Sequence[Sequence[Value]]) -> list[Value]:
    """Return one head's scores sₜ = q·kₜ / √d for each key kₜ (d = len(q)): one `dot` node and
    one division each, as microgpt's `attn_logits`. softmax(scores) are the attention weights.

    >>> attention_scores([Value(1.0), Value(0.0)], [[Value(2.0), Value(5.0)]])   # [2/√2]
    """
    qs = _vector("attention_scores", q, "q")
    return _scores(qs, _rows("attention_scores", keys, "keys", len(qs)))


def attention(
    q: Sequence[Value], keys: Sequence[Sequence[Value]], values: Sequence[Sequence[Value]]
) -> list[Value]:
    """Return one head's output Σₜ aₜ·vₜ, a = softmax(q·kₜ / √d): causal self-attention for
    one query over the keys and values of positions 0..t (microgpt's `head_out`).

    Each output element is one `dot` node over the weights and that element of every value.
    >>> attention([Value(1.0)], [[Value(0.0)], [Value(1.0)]], [[Value(2.0)], [Value(4.0)]])
    """
    qs = _vector("attention", q, "q")
    ks = _rows("attention", keys, "keys", len(qs))
    vs = _rows("attention", values, "values", None)
    if len(vs) != len(ks):
        raise ValueError(
            f"attention got {len(ks)} keys but {len(vs)} values; each position has one of each"
        )
    return _head(qs, ks, vs)[2]


def _linear(x: Sequence[Any], w: Sequence[Sequence[Any]]) -> list[Value]:
    dot = autograd.dot
    return [dot(row, x) for row in w]


def _rmsnorm(x: list[Value], eps: float = RMS_EPS) -> list[Value]:
    scale = (autograd.dot(x, x) / len(x) + eps) ** -0.5
    return [xi * scale for xi in x]


def _scores(q: list[Value], keys: Sequence[Sequence[Value]]) -> list[Value]:
    dot, root = autograd.dot, math.sqrt(len(q))
    return [dot(q, k) / root for k in keys]


def _head(
    q: list[Value], keys: Sequence[Sequence[Value]], values: Sequence[Sequence[Value]]
) -> tuple[list[Value], list[Value], list[Value]]:
    """One head at one position: its scores, its weights (their softmax) and its output."""
    scores = _scores(q, keys)
    weights = softmax(scores)
    dot = autograd.dot
    return scores, weights, [dot(weights, column) for column in zip(*values)]


# ---- the tokenizer ----


class CharTokenizer:
    """microgpt's tokenizer: the sorted distinct characters of the documents are the ids
    0 … n-1, and BOS = n "starts and ends" every document, so vocab_size = n + 1.

    >>> tok = CharTokenizer(["emma", "ava"])     # chars "aemv", BOS = 4
    >>> tok.encode("emma"), tok.decode([1, 2, 2, 0])
    ([4, 1, 2, 2, 0, 4], 'emma')
    """

    def __init__(self, docs: Iterable[str]) -> None:
        if isinstance(docs, (str, bytes)) or not isinstance(docs, Iterable):
            raise TypeError(f"CharTokenizer needs a list of strings, got {describe(docs)}")
        docs = list(docs)
        for k, doc in enumerate(docs):
            if not isinstance(doc, str):
                raise TypeError(f"CharTokenizer document {k} must be a str, got {describe(doc)}")
        chars = sorted(set("".join(docs)))
        if not chars:
            raise ValueError("CharTokenizer needs at least one character in its documents")
        self.chars: list[str] = chars  # id k is chars[k]
        self.bos: int = len(chars)  # the Beginning Of Sequence id, which also ends one
        self.vocab_size: int = len(chars) + 1
        self._ids = {ch: k for k, ch in enumerate(chars)}

    def encode(self, doc: str) -> list[int]:
        """Return [BOS, id of each character, BOS]; a character it has not seen is a ValueError."""
        if not isinstance(doc, str):
            raise TypeError(f"CharTokenizer.encode needs a str, got {describe(doc)}")
        ids = self._ids
        try:
            return [self.bos, *(ids[ch] for ch in doc), self.bos]
        except KeyError as missing:
            k = next(k for k, ch in enumerate(doc) if ch not in ids)
            raise ValueError(
                f"CharTokenizer.encode({_quoted(doc)}): the character {missing.args[0]!r} is "
                f"not in its vocabulary ({_quoted(''.join(self.chars))}); it is character {k} "
                "of the text"
            ) from None

    def decode(self, tokens: Sequence[int]) -> str:
        """Return the characters of `tokens`, with every BOS left out."""
        ids = sequence("CharTokenizer.decode", tokens, "token ids (ints)")
        text = []
        for k, t in enumerate(ids):
            if _is_bool(t) or not isinstance(t, numbers.Integral):
                raise TypeError(f"CharTokenizer.decode token {k} must be an int, got {describe(t)}")
            if not 0 <= int(t) <= self.bos:
                raise ValueError(
                    f"CharTokenizer.decode token {k} is {shown(int(t))}, out of range: ids run "
                    f"from 0 to {self.bos} (BOS)"
                )
            if int(t) != self.bos:
                text.append(self.chars[int(t)])
        return "".join(text)

    def __repr__(self) -> str:
        return f"CharTokenizer({''.join(self.chars)!r} + BOS={self.bos})"


def _quoted(text: str) -> str:
    """repr(text), or of its first 60 characters and its length: an error quotes no novel."""
    return repr(text) if len(text) <= 60 else f"{text[:60]!r}… ({len(text):,} characters)"


# ---- the model ----


def _matrix(rng: random.Random, rows: int, cols: int) -> list[list[Value]]:
    """microgpt's `matrix(nout, nin)`: rows × cols weights from N(0, 0.08²), row after row."""
    gauss = rng.gauss
    return [[Value(gauss(0.0, INIT_STD)) for _ in range(cols)] for _ in range(rows)]


class CausalSelfAttention(Module):
    """Return Wo · concat(heads) for one position: each head attends over positions 0..t.

    Parameters wq, wk, wv, wo: n_embd × n_embd, lists of rows. Call it with the position's
    (normalised) vector and the layer's lists of keys and values, to which it appends its own.

    Each head's nodes at query position t are labelled (while grad is recorded) in the dotted
    form of parameter names: `layers.{i}.head.{h}.t.{t}.qk.{s}` (q·kₛ), `.score.{s}` (q·kₛ/√d),
    `.weight.{s}` (the softmax) and `.out.{j}`. Step text names them, and a drawing with
    group=True boxes them per layer, head and position (the softmax's own nodes join the box).
    """

    def __init__(self, n_embd: int, n_head: int, rng: random.Random, name: str = "") -> None:
        self.n_head, self.head_dim = n_head, n_embd // n_head
        self._name = name  # "layers.{i}": the start of its nodes' labels
        self.wq = _matrix(rng, n_embd, n_embd)
        self.wk = _matrix(rng, n_embd, n_embd)
        self.wv = _matrix(rng, n_embd, n_embd)
        self.wo = _matrix(rng, n_embd, n_embd)

    def forward(
        self,
        x: list[Value],
        keys: list[list[Value]],
        values: list[list[Value]],
        seen: _Seen | None = None,
    ) -> list[Value]:
        q = _linear(x, self.wq)
        keys.append(_linear(x, self.wk))
        values.append(_linear(x, self.wv))
        out: list[Value] = []
        d, labelled = self.head_dim, autograd.is_grad_enabled()
        for h in range(self.n_head):
            part = slice(h * d, (h + 1) * d)
            ks, vs = [k[part] for k in keys], [v[part] for v in values]
            scores, weights, head = _head(q[part], ks, vs)
            if labelled:
                where = f"{self._name}.head.{h}.t.{len(keys) - 1}"
                products = [score.parents[0] for score in scores]  # q·kₛ, before the 1/√d
                for what, nodes in (
                    ("qk", products),
                    ("score", scores),
                    ("weight", weights),
                    ("out", head),
                ):
                    for k, node in enumerate(nodes):
                        node.label = f"{where}.{what}.{k}"
            if seen is not None:
                seen.scores[h].append(scores)
                seen.weights[h].append(weights)
            out += head
        return _linear(out, self.wo)


class FeedForward(Module):
    """Return fc2 · relu(fc1 · x): the MLP n_embd → 4·n_embd → n_embd, no biases."""

    def __init__(self, n_embd: int, rng: random.Random) -> None:
        self.fc1 = _matrix(rng, 4 * n_embd, n_embd)
        self.fc2 = _matrix(rng, n_embd, 4 * n_embd)

    def forward(self, x: list[Value]) -> list[Value]:
        return _linear([h.relu() for h in _linear(x, self.fc1)], self.fc2)


class Block(Module):
    """Return one transformer layer's output at one position (microgpt's pre-norm residuals):
    x ← x + attn(rmsnorm(x)), then x ← x + mlp(rmsnorm(x))."""

    def __init__(self, attn: CausalSelfAttention, mlp: FeedForward) -> None:
        self.attn, self.mlp = attn, mlp

    def forward(
        self,
        x: list[Value],
        keys: list[list[Value]],
        values: list[list[Value]],
        seen: _Seen | None = None,
    ) -> list[Value]:
        x = [a + r for a, r in zip(self.attn(_rmsnorm(x), keys, values, seen), x)]
        return [m + r for m, r in zip(self.mlp(_rmsnorm(x)), x)]


class _Seen:
    """One layer's attention as a forward pass made it: [head][position][key position]."""

    def __init__(self, n_head: int) -> None:
        self.scores: list[list[list[Value]]] = [[] for _ in range(n_head)]
        self.weights: list[list[list[Value]]] = [[] for _ in range(n_head)]


class Run(NamedTuple):
    """What one forward pass of a GPT made, to look inside it (`GPT.run`).

    logits   [position][token id]: the Values `model(tokens)` returns
    scores   [layer][head][position t][key position s ≤ t]: q·k/√d, the softmax's inputs
    weights  the same shape: the attention weights, softmax of each row of scores
    """

    logits: list[list[Value]]
    scores: list[list[list[list[Value]]]]
    weights: list[list[list[list[Value]]]]

    def attention(self, layer: int = 0, head: int = 0) -> list[list[float]]:
        """Return one head's attention weights as a T × T table of floats, row t = position t,
        zero above the diagonal (position t attends to 0..t only): a heat map's numbers."""
        layer = _index("Run.attention(layer)", layer, len(self.weights), "layers")
        heads = self.weights[layer]
        head = _index("Run.attention(head)", head, len(heads), "heads")
        size = len(heads[head])
        return [[w.data for w in row] + [0.0] * (size - len(row)) for row in heads[head]]


class GPT(Module):
    """Return the next-token logits at every position: microgpt's GPT as a Module of Values.

    GPT(vocab_size, *, n_embd=16, n_head=4, n_layer=1, block_size=16, seed=0) is microgpt's
    configuration: token + position embeddings, RMSNorm without gain, causal multi-head
    attention, a ReLU MLP of width 4·n_embd, residuals, no biases, Gaussian init (std 0.08);
    nn/gpt.py's docstring says where each follows microgpt. Its parameters, as
    `named_parameters()` names them (each scalar NAME.row.col, rows = output features):

        wte      vocab_size × n_embd   token embedding (row = a token id's vector)
        wpe      block_size × n_embd   position embedding
        layers.{i}.attn.wq, .wk, .wv, .wo    n_embd × n_embd
        layers.{i}.mlp.fc1   4·n_embd × n_embd;   layers.{i}.mlp.fc2   n_embd × 4·n_embd
        lm_head  vocab_size × n_embd

    `model(tokens)`: the logits (a list of vocab_size Values) at each position of 1 to
    block_size token ids; `model.loss(tokens)`: the mean cross-entropy of predicting
    tokens[t+1] at position t; `model.sample(bos)`: a new document; `model.run(tokens)`: the
    logits with every head's scores and weights. Token ids are ints (NumPy's too) from 0 to
    vocab_size - 1, or Values holding one. `seed` is an int or a random.Random.

    >>> model = GPT(27, seed=0)          # 4,192 parameters, as microgpt's
    >>> model.loss([26, 4, 12, 12, 0, 26]).backward()
    """

    def __init__(
        self,
        vocab_size: int,
        *,
        n_embd: int = 16,
        n_head: int = 4,
        n_layer: int = 1,
        block_size: int = 16,
        seed: int | random.Random | None = 0,
    ) -> None:
        vocab_size = integer("GPT(vocab_size)", vocab_size)
        n_embd = integer("GPT(n_embd)", n_embd)
        n_head = integer("GPT(n_head)", n_head)
        n_layer = integer("GPT(n_layer)", n_layer)
        block_size = integer("GPT(block_size)", block_size)
        if n_embd % n_head:
            raise ValueError(
                f"GPT(n_embd={n_embd}) is not divisible by n_head={n_head}: each head takes "
                f"n_embd / n_head channels; pick n_head among the divisors of {n_embd}"
            )
        _check_size(
            f"GPT({vocab_size}, n_embd={n_embd}, n_layer={n_layer}, block_size={block_size})",
            (2 * vocab_size + block_size + 12 * n_layer * n_embd) * n_embd,
        )
        self.vocab_size, self.n_embd, self.n_head = vocab_size, n_embd, n_head
        self.n_layer, self.block_size = n_layer, block_size
        rng = make_rng(seed)
        # drawn in microgpt's order (its state_dict: wte, wpe, lm_head, then the layers), kept
        # in the order of the forward pass (lm_head last), which is the parameters' order
        wte = _matrix(rng, vocab_size, n_embd)
        wpe = _matrix(rng, block_size, n_embd)
        lm_head = _matrix(rng, vocab_size, n_embd)
        self.wte, self.wpe = wte, wpe
        self.layers = [
            Block(CausalSelfAttention(n_embd, n_head, rng, f"layers.{i}"), FeedForward(n_embd, rng))
            for i in range(n_layer)
        ]
        self.lm_head = lm_head
        self._columns = tuple(zip(*wte))  # column j: entry j of every token's row, for _pick
        self.relabel()

    # ---- the forward pass, one position at a time ----

    def _position(
        self,
        token: Token,
        pos: int,
        keys: list[list[list[Value]]],
        values: list[list[list[Value]]],
        seen: list[_Seen] | None = None,
    ) -> list[Value]:
        """microgpt's gpt(token_id, pos_id, keys, values): the logits at one position."""
        embedding = [_pick(column, token) for column in self._columns]  # = wte[token]
        x = _rmsnorm([t + p for t, p in zip(embedding, self.wpe[pos])])
        for i, layer in enumerate(self.layers):
            x = layer(x, keys[i], values[i], None if seen is None else seen[i])
        return _linear(x, self.lm_head)

    def _new_cache(self) -> tuple[list[list[list[Value]]], list[list[list[Value]]]]:
        return [[] for _ in self.layers], [[] for _ in self.layers]

    def run(self, tokens: Sequence[Token]) -> Run:
        """Return a `Run`: the logits at each position and every head's scores and weights.

        >>> run = model.run([26, 4, 12]); run.attention(0, 1)   # layer 0, head 1: 3 × 3
        """
        ids = self._checked("GPT", tokens, self.block_size)
        settle()  # the numbers a compiled training step holds, as model(tokens) reads them
        keys, values = self._new_cache()
        seen = [_Seen(self.n_head) for _ in self.layers]
        with _collector_paused():
            logits = [self._position(t, pos, keys, values, seen) for pos, t in enumerate(ids)]
        return Run(logits, [s.scores for s in seen], [s.weights for s in seen])

    def forward(self, tokens: Sequence[Token]) -> list[list[Value]]:
        """Return the logits at each position: a list of vocab_size Values per token id.

        The logits at position t depend on tokens[0..t] only (causal attention).
        """
        ids = self._checked("GPT", tokens, self.block_size)
        settle()  # (model(tokens) has settled already; model.forward(tokens) has not)
        keys, values = self._new_cache()
        with _collector_paused():
            return [self._position(t, pos, keys, values) for pos, t in enumerate(ids)]

    def loss(self, tokens: Sequence[Token]) -> Value:
        """Return (1/n) Σₜ -ln softmax(logitsₜ)[tokens[t+1]], t = 0..n-1, n = len(tokens) - 1:
        microgpt's per-step loss, the mean next-token cross-entropy over a document.

        tokens holds 2 to block_size + 1 ids ([BOS, ..., BOS] from CharTokenizer.encode);
        microgpt trains on the first block_size + 1 of a longer document: pass
        tokens[:model.block_size + 1]. Each term is nn's cross-entropy, logsumexp - x[k].
        """
        ids = self._checked("GPT.loss", tokens, self.block_size + 1, least=2)
        settle()  # after model.training(...) steps the newest numbers are the Training's
        keys, values = self._new_cache()
        with _collector_paused():
            terms = [
                _class_loss(self._position(t, pos, keys, values), target)
                for pos, (t, target) in enumerate(zip(ids, ids[1:]))
            ]
            return autograd.sum(terms) / len(terms)

    def training(self, optimizer: Any) -> Training:
        """Return a `Training` of this model: `training(tokens)` is one step of `loss(tokens)`
        (forward, backward and `optimizer`'s update) through a traced program, with the
        parameters as one array and no Value touched (see `nn.Training`).

        The token ids are the program's inputs (they pick rows of `wte` and the targets'
        logits through `autograd.ops.take`), so one program serves every document of one
        length: made at the first document of that length, kept for the next. The losses and
        parameters are eager training's (`loss(tokens).backward(); optimizer.step()`) to about
        1e-12 relative. >>> training = model.training(Adam(model.parameters(), lr=0.01))
        """
        from autograd import trace

        params = self.parameters()
        programs: dict[int, Any] = {}

        def per_document(*ids: Value) -> Value:
            return self.loss(list(ids))

        def gradient(tokens: Sequence[Token], *, params: Any) -> tuple[float, Any]:
            ids = [
                float(t)
                for t in self._checked("GPT.training", tokens, self.block_size + 1, least=2)
            ]
            program = programs.get(len(ids))
            if program is None:
                program = programs[len(ids)] = trace(per_document, *ids, params=model)
            return program.gradient(*ids, params=params)

        model = params  # (the closure's params is the array of their numbers)
        training = Training(params, optimizer, gradient)
        training.programs = programs  # type: ignore[attr-defined]
        return training

    def sample(
        self,
        bos: Token,
        *,
        temperature: float = 1.0,
        seed: int | random.Random | None = None,
    ) -> list[int]:
        """Return token ids drawn one at a time after `bos`, until `bos` comes back (left out)
        or block_size positions have run: microgpt's inference loop.

        At each position p = softmax(logits / temperature) and the next id is
        rng.choices(range(vocab_size), weights=p)[0], as microgpt draws it (microgpt samples at
        temperature 0.5). temperature must be > 0: lower is more conservative; one so small that
        logits / temperature overflows is taken at its limit, softmax((logits - max) /
        temperature): the largest logit drawn (ties evenly). `seed` is an int, a random.Random
        (used as is), or None (fresh randomness). No graph is kept. Logits that are nan or +inf
        (parameters that are not finite numbers) are a ValueError, and a random.Random given as
        `seed` is then left as it was.

        >>> tokenizer.decode(model.sample(tokenizer.bos, temperature=0.5, seed=1))
        """
        (start,) = self._checked("GPT.sample(bos)", [bos], 1)
        temperature = number("GPT.sample(temperature)", temperature, strict=True)
        rng = make_rng(seed)
        try:
            state: Any = rng.getstate()
        except NotImplementedError:  # random.SystemRandom has no state to keep
            state = None
        settle()  # else position 0 would read a compiled Training's stale Values, and the
        # first .data read (of a probability) would settle the rest: half old, half new weights
        choices, ids = rng.choices, range(self.vocab_size)
        end = int(start.data) if isinstance(start, Value) else start
        drawn: list[int] = []
        with no_grad(), _collector_paused():
            keys, values = self._new_cache()
            token: Token = start
            for pos in range(self.block_size):
                logits = self._position(token, pos, keys, values)
                try:
                    scaled = _scaled(logits, temperature, pos)
                except ValueError:
                    if state is not None:
                        rng.setstate(state)  # the draws so far are undone: nothing changed
                    raise
                probs = softmax(scaled)
                token = choices(ids, weights=[p.data for p in probs])[0]
                if token == end:
                    break
                drawn.append(token)
        return drawn

    # ---- checks ----

    def _checked(self, who: str, tokens: object, most: int, least: int = 1) -> list[Token]:
        """The token ids as a list (ints as ints, Values kept), or TypeError / ValueError."""
        if isinstance(tokens, str):
            raise TypeError(
                f"{who} takes token ids, got the str {tokens!r}; encode it first "
                "(CharTokenizer(docs).encode(text))"
            )
        ids: list[Any] = sequence(who, tokens, "token ids (ints)")
        if len(ids) < least:
            wanted = "at least one token id" if least == 1 else f"at least {least} token ids"
            got = "an empty list" if not ids else f"{len(ids)}"
            raise ValueError(
                f"{who} needs {wanted}, got {got}"
                + ("; a loss needs a token and the one after it" if least == 2 else "")
            )
        if len(ids) > most:
            room = f"block_size={self.block_size}" + (" + 1" if most > self.block_size else "")
            raise ValueError(
                f"{who} got {len(ids)} token ids, more than {room}: the model has "
                f"{self.block_size} positions; pass tokens[:{most}] (microgpt cuts a document "
                "there)"
            )
        top = self.vocab_size - 1
        for k, t in enumerate(ids):
            if isinstance(t, Value):
                x = t.data
                if not (x.is_integer() and 0 <= x <= top):
                    raise ValueError(
                        f"{who} token {k} is a Value holding {x!r}, not a token id: ids are "
                        f"integers from 0 to {top} (vocab_size={self.vocab_size})"
                    )
                continue
            if _is_bool(t) or not isinstance(t, numbers.Integral):
                raise TypeError(
                    f"{who} token {k} must be an int token id (or a Value holding one), got "
                    f"{describe(t)}"
                )
            ids[k] = t = int(t)
            if not 0 <= t <= top:
                raise ValueError(
                    f"{who} token {k} is {shown(t)}, out of range: token ids run from 0 to {top} "
                    f"(vocab_size={self.vocab_size})"
                )
        return ids

    def __repr__(self) -> str:
        return (
            f"GPT({self.vocab_size}, n_embd={self.n_embd}, n_head={self.n_head}, "
            f"n_layer={self.n_layer}, block_size={self.block_size})"
        )


def _scaled(logits: list[Value], temperature: float, pos: int) -> list[Value]:
    """logits / temperature for GPT.sample's softmax, or ValueError for logits that are nan or
    +inf (or all -inf): a draw from them would be no draw at all. Where a tiny temperature
    overflows a quotient to ±inf (inf - inf would be nan in the softmax), the logits are
    shifted by their max first, (x - max) / temperature, the same softmax in exact arithmetic:
    the largest logits keep 0 (weight 1 each), the others go to -inf (weight 0)."""
    xs = [x.data for x in logits]
    for k, x in enumerate(xs):
        if math.isnan(x) or x == math.inf:
            raise ValueError(
                f"GPT.sample: the logit of token {k} at position {pos} is {x!r}, so there is "
                "nothing to draw from; the model's parameters are not all finite numbers (did "
                "training diverge? check model.parameters())"
            )
    top = max(xs)
    if top == -math.inf:
        raise ValueError(
            f"GPT.sample: every logit at position {pos} is -inf, so no token can be drawn; the "
            "model's parameters are not all finite numbers (check model.parameters())"
        )
    scaled = [x / temperature for x in logits]
    if all(math.isfinite(s.data) for s in scaled):
        return scaled  # the ordinary case: microgpt's very numbers
    return [(x - top) / temperature for x in logits]


# ---- checking the pieces' inputs ----


def _vector(who: str, x: object, name: str) -> list[Any]:
    if isinstance(x, Value):
        raise TypeError(f"{who}({name}) needs a list of Values, got one Value; pass [v]")
    items = sequence(f"{who}({name})", x, "Values or numbers")
    if not items:
        raise ValueError(f"{who}({name}) needs at least one element, got an empty list")
    for k, item in enumerate(items):
        if not isinstance(item, Value):
            if _is_bool(item) or not isinstance(item, numbers.Real):
                raise TypeError(
                    f"{who}({name}) element {k} must be a Value or a number, got {describe(item)}"
                )
            items[k] = Value(float(item))
    return items


def _index(who: str, k: object, count: int, what: str) -> int:
    k = integer(who, k, low=0, high=None)
    if k >= count:
        raise ValueError(f"{who} is {k}, but the model has {count} {what} (0 to {count - 1})")
    return k


def _rows(who: str, rows: object, name: str, width: int | None) -> list[list[Any]]:
    found = sequence(f"{who}({name})", rows, f"{name}, one list of Values per position")
    if not found:
        raise ValueError(f"{who}({name}) needs at least one position, got an empty list")
    checked = [_vector(who, row, f"{name}[{k}]") for k, row in enumerate(found)]
    width = len(checked[0]) if width is None else width
    for k, row in enumerate(checked):
        if len(row) != width:
            raise ValueError(f"{who}({name}[{k}]) has {len(row)} elements, expected {width}")
    return checked
