"""Solutions to the exercises of notebook 10 (training for real)."""

import autograd_lab as al


def sgd_step(params, lr):
    """Plain SGD: each parameter moves against its gradient, in place, untracked."""
    with al.no_grad():
        for p in params:
            p -= lr * p.grad


def train_step(model, optimizer, loss_fn, xb, yb):
    """Clear the old gradients, compute the loss, its gradients, and take the step."""
    optimizer.zero_grad()
    loss = loss_fn(model(xb), yb)
    loss.backward()
    optimizer.step()
    return loss


def accuracy(logits, targets):
    """The fraction of rows whose largest logit is the target class."""
    return (logits.argmax(dim=1) == targets).float().mean().item()
