"""Exercises of notebook 10 (training for real: the update, the loop, the accuracy)."""

from __future__ import annotations

import numpy as np

from ._compare import compare
from ._registry import Wrong, exercise


def _rng(exercise_id: str) -> np.random.Generator:
    """Seeded per exercise: the same inputs on every run, different from the notebook's."""
    return np.random.default_rng(sum(map(ord, exercise_id)))


def _params_with_grads(rng, shapes):
    import autograd_lab as al

    params = [al.nn.Parameter(al.tensor(rng.standard_normal(s).astype(np.float32)))
              for s in shapes]
    for p in params:
        p.grad = al.tensor(rng.standard_normal(p.shape).astype(np.float32))
    return params


@exercise("10.1", "the SGD update")
def check_sgd_step(sgd_step) -> str:
    """``sgd_step(params, lr)`` changes each parameter in place: ``p <- p - lr * p.grad``."""
    rng = _rng("10.1")
    shapes = [(3, 4), (4,), (2, 3)]
    for lr in (0.1, 0.5):
        params = _params_with_grads(rng, shapes)
        objects = [id(p) for p in params]
        before = [p.detach().numpy().copy() for p in params]
        grads = [p.grad.numpy().copy() for p in params]
        sgd_step(params, lr)
        if [id(p) for p in params] != objects:
            raise Wrong("the list now holds other tensors: update each parameter in place "
                        "(p -= ...), do not replace it")
        for k, (p, b, g) in enumerate(zip(params, before, grads, strict=True)):
            what = f"lr={lr}: parameter {k} {tuple(shapes[k])} after the step"
            mistakes = [(b, "the parameter did not change: `p = p - lr * p.grad` only "
                            "rebinds the name p; update in place with `p -= lr * p.grad` "
                            "inside `al.no_grad()`"),
                        (b + lr * g, "wrong sign: the step goes against the gradient"),
                        (b - g, "did you forget to multiply the gradient by lr?")]
            compare(p.detach().numpy(), b - lr * g, what, mistakes=mistakes)
            if not p.requires_grad or not p.is_leaf:
                raise Wrong(f"parameter {k} is no longer a leaf that requires grad: did the "
                            "update run outside `al.no_grad()`?")
            if p.grad is None or not np.allclose(p.grad.numpy(), g):
                raise Wrong(f"parameter {k}'s .grad changed: the step only reads the gradient "
                            "(clearing it is zero_grad's job)")
    return "your update matches p - lr * p.grad, in place, for 3 parameters and 2 rates"


def _tiny_problem(rng):
    import autograd_lab as al

    x = al.tensor(rng.standard_normal((4, 8, 5)).astype(np.float32))
    y = al.tensor(rng.integers(0, 3, (4, 8)))
    return x, y


def _trajectory(train_step, seed: int, x, y) -> tuple[list, list]:
    """Run ``train_step`` on four batches from the same start; the losses and the weights."""
    import autograd_lab as al

    al.manual_seed(seed)
    model = al.nn.Sequential(al.nn.Linear(5, 6), al.nn.Tanh(), al.nn.Linear(6, 3))
    optimizer = al.optim.SGD(model.parameters(), lr=0.5)
    loss_fn = al.nn.CrossEntropyLoss()
    losses = []
    for k in range(x.shape[0]):
        loss = train_step(model, optimizer, loss_fn, x[k], y[k])
        losses.append(float(loss))
    return losses, [p.detach().numpy().copy() for p in model.parameters()]


def _reference_step(model, optimizer, loss_fn, xb, yb):
    optimizer.zero_grad()
    loss = loss_fn(model(xb), yb)
    loss.backward()
    optimizer.step()
    return loss


def _no_zero_grad_step(model, optimizer, loss_fn, xb, yb):
    loss = loss_fn(model(xb), yb)
    loss.backward()
    optimizer.step()
    return loss


def _zero_after_backward_step(model, optimizer, loss_fn, xb, yb):
    loss = loss_fn(model(xb), yb)
    loss.backward()
    optimizer.zero_grad()
    optimizer.step()
    return loss


@exercise("10.2", "the training step that forgot something")
def check_train_step(train_step) -> str:
    """``train_step(model, optimizer, loss_fn, xb, yb) -> loss``: one correct step."""
    rng = _rng("10.2")
    x, y = _tiny_problem(rng)
    seed = int(rng.integers(1000))
    expected_losses, expected = _trajectory(_reference_step, seed, x, y)
    got_losses, got = _trajectory(train_step, seed, x, y)
    _, accumulated = _trajectory(_no_zero_grad_step, seed, x, y)
    _, frozen = _trajectory(_zero_after_backward_step, seed, x, y)
    for k, (g, e, a, f) in enumerate(zip(got, expected, accumulated, frozen, strict=True)):
        mistakes = [(a, "the gradients add up from step to step: call "
                        "optimizer.zero_grad() before backward()"),
                    (f, "the parameters never move: zero_grad() ran between backward() and "
                        "step(), so step() saw zero gradients")]
        compare(g, e, f"after 4 steps, parameter {k}", mistakes=mistakes, atol=1e-5)
    compare(np.asarray(got_losses, dtype=np.float64), np.asarray(expected_losses),
            "the losses your train_step returned", atol=1e-5)
    return "4 steps of your train_step move the model exactly as zero_grad, backward, step"


@exercise("10.3", "the accuracy of a batch of logits")
def check_accuracy(accuracy) -> str:
    """``accuracy(logits, targets) -> float``: the fraction of rows whose argmax is right."""
    import autograd_lab as al

    rng = _rng("10.3")
    for n, c in ((10, 10), (37, 4), (5, 3)):
        logits = rng.standard_normal((n, c)).astype(np.float32)
        targets = rng.integers(0, c, n)
        half = n // 2   # half the rows right, so neither the count nor argmax(0) passes
        targets[:half] = logits[:half].argmax(1)
        right = (logits.argmax(1) == targets)
        got = accuracy(al.tensor(logits), al.tensor(targets))
        if isinstance(got, al.Tensor):
            got = got.item()
        what = f"accuracy of {n} rows of {c} classes"
        mistakes = [(right.sum(), "that is the count of right rows: divide by the batch size"),
                    (100 * right.mean(), "a fraction in [0, 1] please, not a percentage")]
        if n == c:
            wrong_dim = (logits.argmax(0) == targets).mean()
            if not np.isclose(wrong_dim, right.mean()):
                mistakes.append((wrong_dim, "argmax over dim 0 picks a row per class: take "
                                            "it over the classes, dim 1"))
        compare(np.asarray(float(got)), np.asarray(right.mean()), what, mistakes=mistakes)
    return "your accuracy is right on 3 batches"
