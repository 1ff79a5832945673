"""Handwritten digits: an MLP on scikit-learn's 8x8 digits, trained with a traced loss.

1,797 images of 8x8 pixels (scikit-learn ships them inside the package: no download), split
80/20 into training and test images, stratified by digit and seeded; pixels divided by 16 so
they lie in [0, 1]. MLP(64, [32, 10]) with relu, the softmax cross-entropy of each image's
10 logits against its digit as one-hot probabilities, and Adam on mini-batches of 128 images.

Each step's loss and gradients come from a traced program (autograd.trace, through
nn.trace_loss): one image's cross-entropy is traced once, then replayed on a whole mini-batch
at once with NumPy. Building 128 graphs of ~2,400 parameters per step eagerly would be far
slower; the numbers are the same.

Each progress line gives the loss and accuracy on all the training images after that many
steps; the summary gives training and test accuracy and the time per step. Then the confusion
matrix of the test images, printed and drawn (digits_confusion.png), and the test images the
model gets wrong (digits_mistakes.png), in --out.

    $ python -m demos.digits
    $ python -m demos.digits --steps 50 --hidden 16 --out /tmp/digits
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import NamedTuple

# One BLAS thread (when NumPy is not loaded yet): the lifted program's matrix products are
# small (128 x 64 by 64 x 32), and on a shared 2-core machine OpenBLAS's thread hand-offs
# cost more than they save (4.3 ms a step with two threads, 1.8 ms with one, measured here).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import autograd
from demos.common import Progress, parser, pyplot, save
from nn import MLP, Adam, cross_entropy, trace_loss

HIDDEN = 32  # relu units in the hidden layer
BATCH = 128  # images per step
LEARNING_RATE = 0.01
TEST_SHARE = 0.2
CLASSES = 10
SHOWN_MISTAKES = 10  # misclassified test images drawn
SKLEARN_HINT = (
    "the digits demo needs scikit-learn, which ships the 8x8 digits inside the package: "
    "pip install -e '.[demos]' (or pip install scikit-learn)"
)


class Data(NamedTuple):
    X_train: np.ndarray  # (n, 64) pixels in [0, 1]
    y_train: np.ndarray  # (n,) digits 0..9
    X_test: np.ndarray
    y_test: np.ndarray
    images_test: np.ndarray  # (m, 8, 8): the test images as drawn


def load(seed: int) -> Data:
    """Return the digits split 80/20 (stratified, seeded), pixels scaled to [0, 1]."""
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError:
        raise SystemExit(SKLEARN_HINT) from None
    digits = load_digits()
    X = digits.data / 16.0  # pixel intensities 0..16 -> [0, 1]
    X_train, X_test, y_train, y_test = train_test_split(
        X, digits.target, test_size=TEST_SHARE, stratify=digits.target, random_state=seed
    )
    return Data(X_train, y_train, X_test, y_test, X_test.reshape(-1, 8, 8))


def batches(n: int, size: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Row indices, `size` at a time, epoch after epoch, each epoch in a fresh shuffled order."""
    while True:
        order = rng.permutation(n)
        for start in range(0, n, size):
            yield order[start : start + size]


def logit_programs(model: MLP, example: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """Return logits(X): one row of 10 logits per image, from traced forward Programs.

    A Program has one output, so there is one per digit: logit c of model(pixels).
    """
    programs = [
        autograd.trace(
            lambda *pixels, c=c: model(list(pixels))[c], *example, params=model.parameters()
        )
        for c in range(CLASSES)
    ]
    return lambda X: np.stack([p(*X.T) for p in programs], axis=1)


class Run(NamedTuple):
    model: MLP
    data: Data
    predict: Callable[[np.ndarray], np.ndarray]  # digits predicted for rows of pixels
    losses: list[float]  # mini-batch losses, one per step
    train_accuracy: float
    test_accuracy: float
    seconds_per_step: float  # forward, backward and Adam update of one mini-batch
    seconds_to_trace: float


def train(steps: int, seed: int, hidden: int = HIDDEN, batch: int = BATCH) -> Run:
    """Return the trained model, its data, a predict function, the loss per step, training and
    test accuracy after the last step, and the time per step and to trace."""
    data = load(seed)
    X, y = data.X_train, data.y_train
    one_hot = np.eye(CLASSES)[y]  # digit k as probabilities (0, .., 1, .., 0)
    model = MLP(64, [hidden, CLASSES], seed=seed, init="kaiming")
    opt = Adam(model.parameters(), lr=LEARNING_RATE)
    start = time.perf_counter()
    # One image's cross-entropy, traced once; replayed on every row of a mini-batch.
    loss = trace_loss(model, lambda logits, target: cross_entropy(logits, target), X[0], one_hot[0])
    logits = logit_programs(model, X[0])
    traced = time.perf_counter() - start

    def predict(pixels: np.ndarray) -> np.ndarray:
        return np.argmax(logits(pixels), axis=1)

    progress, losses, training = Progress(steps), [], 0.0

    def report(k: int) -> None:  # the loss and accuracy on all training images, after k steps
        progress(k, float(np.mean(loss(X, one_hot))), float(np.mean(predict(X) == y)))

    rows = batches(len(X), batch, np.random.default_rng(seed))
    for k in range(steps):
        if k % progress.every == 0:  # only on the steps Progress prints: it costs a forward pass
            report(k)
        start = time.perf_counter()
        picked = next(rows)
        opt.zero_grad()
        losses.append(loss.backward(X[picked], one_hot[picked]))  # the mini-batch's mean loss
        opt.step()
        training += time.perf_counter() - start
    report(steps)
    train_accuracy = float(np.mean(predict(X) == y))
    test_accuracy = float(np.mean(predict(data.X_test) == data.y_test))
    per_step = training / max(steps, 1)
    return Run(model, data, predict, losses, train_accuracy, test_accuracy, per_step, traced)


def confusion_matrix(true: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Counts[t, p]: how many images of digit t the model called p."""
    counts = np.zeros((CLASSES, CLASSES), dtype=int)
    np.add.at(counts, (true, predicted), 1)
    return counts


def print_confusion(counts: np.ndarray) -> None:
    print(
        f"confusion matrix of the {counts.sum()} test images (rows: true digit, columns: "
        "predicted; off the diagonal: mistakes)"
    )
    print("true\\pred " + "".join(f"{c:>4}" for c in range(CLASSES)))
    for t in range(CLASSES):
        cells = "".join(f"{n:>4}" if n or t == p else "   ." for p, n in enumerate(counts[t]))
        print(f"{t:>9} {cells}")


def main(argv: list[str] | None = None) -> None:
    p = parser(__doc__, steps=300)
    p.add_argument(
        "--hidden", type=int, default=HIDDEN, metavar="N", help=f"hidden units (default {HIDDEN})"
    )
    p.add_argument(
        "--batch", type=int, default=BATCH, metavar="N", help=f"images per step (default {BATCH})"
    )
    args = p.parse_args(argv)
    if args.hidden < 1 or args.batch < 1 or args.steps < 0:
        p.error("--hidden and --batch must be at least 1, --steps at least 0")
    begin = time.perf_counter()
    run = train(args.steps, args.seed, args.hidden, args.batch)
    data = run.data
    predicted = run.predict(data.X_test)
    counts = confusion_matrix(data.y_test, predicted)
    print_confusion(counts)
    plt = pyplot()
    pictures = []
    if plt is not None:
        fig, ax = plt.subplots(figsize=(5.6, 5.2))
        right = np.eye(CLASSES, dtype=bool)
        # right answers (the diagonal) in blue, mistakes in red, each shade scaled to its own
        # largest count; empty cells stay white, and every count is written in its cell
        for cells, cmap in ((right, "Blues"), (~right, "Reds")):
            top = max(int(counts[cells].max()), 1)
            shown = np.ma.masked_where(~cells | (counts == 0), counts)
            ax.imshow(shown, cmap=cmap, vmin=0, vmax=1.25 * top)
            for t, q in zip(*np.nonzero(cells & (counts > 0))):
                dark = counts[t, q] > 0.6 * top
                ax.text(
                    q,
                    t,
                    str(counts[t, q]),
                    ha="center",
                    va="center",
                    fontsize=9,
                    color="white" if dark else "black",
                )
        ax.set_xticks(range(CLASSES))
        ax.set_yticks(range(CLASSES))
        ax.set(
            xlabel="predicted digit",
            ylabel="true digit",
            title=f"digits: the {len(predicted)} test images, {run.test_accuracy:.1%} right\n"
            "(right: the blue diagonal; mistakes: red, off it)",
        )
        pictures.append(save(fig, args.out, "digits_confusion.png"))
        wrong = np.flatnonzero(predicted != data.y_test)
        if len(wrong):
            drawn = wrong[:SHOWN_MISTAKES]
            columns = min(len(drawn), 5)
            rows = -(-len(drawn) // columns)
            fig, axes = plt.subplots(rows, columns, figsize=(1.6 * columns, 2.0 * rows + 0.5))
            for ax in np.ravel(axes):
                ax.axis("off")
            for ax, i in zip(np.ravel(axes), drawn):
                ax.axis("on")
                ax.imshow(data.images_test[i], cmap="gray_r", vmin=0, vmax=1)
                ax.set(xticks=[], yticks=[])
                ax.set_title(f"true {data.y_test[i]}", fontsize=10)
                ax.set_xlabel(f"predicted {predicted[i]}", fontsize=10, color="#b40426")
            title = f"digits: the model gets {len(wrong)} of the {len(predicted)} test images wrong"
            if len(drawn) < len(wrong):
                title += f"; the first {len(drawn)}"
            fig.suptitle(title, fontsize=11)
            pictures.append(save(fig, args.out, "digits_mistakes.png"))
    shown = f"; pictures: {', '.join(pictures)}" if pictures else ""
    print(
        f"digits: {args.steps} steps of {args.batch} images, then training accuracy "
        f"{run.train_accuracy:.1%} and test accuracy {run.test_accuracy:.1%} "
        f"({len(data.y_test)} test images), {len(run.model.parameters())} parameters, "
        f"{1e3 * run.seconds_per_step:.1f} ms per step (compiled; tracing took "
        f"{run.seconds_to_trace:.1f} s once), {time.perf_counter() - begin:.1f} s in all{shown}"
    )


if __name__ == "__main__":
    main()
