"""The bad-input sweep of the public API (tests/fuzz/bad_input_sweep.py): every call with a
bad argument must raise TypeError/ValueError/RuntimeError/IndexError with a message that is
not Python's or NumPy's internals, unless PyTorch accepts it too.

``KNOWN`` lists the calls that do not yet, by the issue 14 item that owns them; the others'
fixes shrink it (delete an entry once its call passes: ``test_known_list_is_current`` reports
entries that no longer fail). Run ``python -m tests.fuzz.bad_input_sweep`` for the tally.
"""

from __future__ import annotations

import pytest
from fuzz import bad_input_sweep as sweep  # tests/ is on sys.path under pytest

KNOWN = {
    'creation/grad mode': {
        'al.rand_like(int64 tensor)',
        'al.randn_like(int64 tensor)',
    },
    'pointwise/reductions': {
        'al.eq(x, None)',
        'al.eq(x, str)',
        'al.ge(x, None)',
        'al.ge(x, str)',
        'al.gt(x, None)',
        'al.gt(x, str)',
        'al.le(x, None)',
        'al.le(x, str)',
        'al.logical_and(x, None)',
        'al.logical_and(x, str)',
        'al.logical_not(None)',
        'al.logical_not(list)',
        'al.logical_not(str)',
        'al.logical_or(x, None)',
        'al.logical_or(x, str)',
        'al.logsumexp(x, None)',
        'al.lt(x, None)',
        'al.lt(x, str)',
        'al.max(x, None)',
        'al.min(x, None)',
        'al.ne(x, None)',
        'al.ne(x, str)',
        'al.prod(x, None)',
        'al.sum_to_size(int64 tensor)',
        'al.sum_to_size(wrong shape)',
        'al.sum_to_size(x, None)',
        'al.topk(x, None)',
        'al.topk(x, list)',
        'al.topk(x, str)',
        'x.logsumexp(None)',
        'x.max(None)',
        'x.min(None)',
        'x.prod(None)',
    },
    'linalg/nn': {
        'F.binary_cross_entropy(x, int64 tensor)',
        'F.dropout(int64 tensor)',
        'F.dropout(x, None)',
        'F.dropout(x, list)',
        'F.dropout(x, str)',
        'F.gelu(x, int64 tensor)',
        'F.gelu(x, wrong shape)',
        'F.log_softmax(x, list)',
        'F.log_softmax(x, str)',
        'F.softmax(x, list)',
        'F.softmax(x, str)',
        'F.softplus(x, int64 tensor)',
        'F.softplus(x, str)',
    },
    'views/indexing/in-place': {
        'al.broadcast_to(x, None)',
        'al.chunk(x, None)',
        'al.chunk(x, list)',
        'al.chunk(x, str)',
        'al.diagonal(None)',
        'al.diagonal(list)',
        'al.diagonal(str)',
        'al.expand(None)',
        'al.expand(list)',
        'al.expand(str)',
        'al.expand(x, None)',
        'al.flatten(None)',
        'al.flatten(list)',
        'al.flatten(str)',
        'al.flatten(x, None)',
        'al.flatten(x, list)',
        'al.flatten(x, str)',
        'al.flip(None)',
        'al.flip(int64 tensor)',
        'al.flip(list)',
        'al.flip(str)',
        'al.flip(wrong shape)',
        'al.flip(x, None)',
        'al.permute(None)',
        'al.permute(list)',
        'al.permute(str)',
        'al.permute(x, None)',
        'al.repeat(None)',
        'al.repeat(list)',
        'al.repeat(str)',
        'al.repeat(x, None)',
        'al.repeat(x, list)',
        'al.reshape(None)',
        'al.reshape(list)',
        'al.reshape(str)',
        'al.reshape(x, None)',
        'al.roll(x, None)',
        'al.split(x, None)',
        'al.squeeze(None)',
        'al.squeeze(list)',
        'al.squeeze(str)',
        'al.squeeze(x, None)',
        'al.squeeze(x, str)',
        'al.t(None)',
        'al.t(list)',
        'al.t(str)',
        'al.tile(None)',
        'al.tile(int64 tensor)',
        'al.tile(list)',
        'al.tile(str)',
        'al.tile(wrong shape)',
        'al.tile(x, None)',
        'al.tile(x, list)',
        'al.tril(None)',
        'al.tril(list)',
        'al.tril(str)',
        'al.triu(None)',
        'al.triu(list)',
        'al.triu(str)',
        'al.unbind(None)',
        'al.unbind(list)',
        'al.unbind(str)',
        'al.unbind(x, None)',
        'al.unbind(x, list)',
        'al.unbind(x, str)',
        'al.unsqueeze(x, None)',
        'al.unsqueeze(x, list)',
        'al.unsqueeze(x, str)',
        'x.__getitem__(str)',
        'x.broadcast_to(None)',
        'x.chunk(None)',
        'x.chunk(list)',
        'x.chunk(str)',
        'x.expand(None)',
        'x.expand_as(None)',
        'x.expand_as(list)',
        'x.expand_as(str)',
        'x.fill_(None)',
        'x.flatten(None)',
        'x.flatten(list)',
        'x.flatten(str)',
        'x.flip(None)',
        'x.permute(None)',
        'x.repeat(None)',
        'x.repeat(list)',
        'x.reshape(None)',
        'x.roll(None)',
        'x.split(None)',
        'x.squeeze(None)',
        'x.squeeze(str)',
        'x.tile(None)',
        'x.tile(list)',
        'x.unbind(None)',
        'x.unbind(list)',
        'x.unbind(str)',
        'x.unsqueeze(None)',
        'x.unsqueeze(list)',
        'x.unsqueeze(str)',
        'x.view(None)',
    },
    'tensor basics (size, requires_grad_, detach, clone: outside the four parts)': {
        'al.clone(None)',
        'al.clone(list)',
        'al.clone(str)',
        'al.detach(None)',
        'al.detach(list)',
        'al.detach(str)',
        'x.requires_grad_(list)',
        'x.requires_grad_(str)',
        'x.size(list)',
        'x.size(str)',
    },
}

_KNOWN_LABELS = {label for labels in KNOWN.values() for label in labels}


@pytest.fixture(scope="module")
def result():
    return sweep.sweep()


def test_bad_inputs_raise_clear_errors_or_match_pytorch(result):
    tally, problems = result
    print("\nbad-input sweep: " + ", ".join(f"{k}: {v}" for k, v in tally.items()))
    new = [p for p in problems if p[1] not in _KNOWN_LABELS]
    assert not new, "calls with unclear errors, or accepted where PyTorch refuses:\n" + "\n".join(
        f"  [{group}] {label}: {detail}" for group, label, detail in new)


def test_known_list_is_current(result):
    """Entries of KNOWN that now pass are reported, not failed (the other parts of issue 14
    land in any order); delete them."""
    _, problems = result
    fixed = sorted(_KNOWN_LABELS - {p[1] for p in problems})
    if fixed:
        print("\nbad-input sweep: fixed, delete from KNOWN:", ", ".join(fixed))
