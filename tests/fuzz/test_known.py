"""The KNOWN entry for stale views recognises the allowed difference and nothing else.

A view whose version counter changed after it was made (an in-place change through it, its
base, another view of its base, or a detached alias) is *stale*: PyTorch regenerates its
grad_fn as one AsStridedBackward0 over the base's current grad_fn, autograd_lab replays the
view's own ops there (the issue allows it). The interpreter marks the grad_fn of a stale
view (``programs.STALE_VIEW``) in both runs; the recogniser accepts a chain difference only
at such a node of PyTorch's, with the nodes below agreeing by the same rule.
"""

from __future__ import annotations

import pytest

import autograd_lab as al

from . import programs as P
from . import test_differential as D

M = P.STALE_VIEW
STALE = next(n for n, (item, _, how) in enumerate(D.KNOWN) if "relate" in how
             and how["relate"] is D._regenerated_views_agree)
LEAF = "AccumulateGrad"


# ---- chains written by hand -----------------------------------------------------------
ACCEPTED = {
    "view over CopySlices": (
        ("SliceBackward0" + M, (("CopySlices", (("ExpBackward0", (LEAF,)),)),)),
        ("AsStridedBackward0" + M, (("CopySlices", (("ExpBackward0", (LEAF,)),)),))),
    "view over an in-place op's node, under an op": (
        ("SliceBackward0", (("SliceBackward0" + M, (("ZeroBackward0", (("CopySlices", (
            ("IndexBackward0", (LEAF,)),)),)),)),)),
        ("SliceBackward0", (("AsStridedBackward0" + M, (("ZeroBackward0", (("CopySlices", (
            ("IndexBackward0", (LEAF,)),)),)),)),))),
    "view of a view of a leaf written through a detached alias": (
        ("ExpBackward0", (("ViewBackward0" + M, (("ViewBackward0", (LEAF,)),)),)),
        ("ExpBackward0", (("AsStridedBackward0" + M, (LEAF,)),))),
    "two stale views, one over the other's base": (
        ("MulBackward0", (("TBackward0" + M, (("ExpBackward0", (LEAF,)),)),
                          ("SelectBackward0" + M, (("ExpBackward0", (LEAF,)),)))),
        ("MulBackward0", (("AsStridedBackward0" + M, (("ExpBackward0", (LEAF,)),)),
                          ("AsStridedBackward0" + M, (("ExpBackward0", (LEAF,)),))))),
    "a stack of view nodes cut to its name by the recording": (
        ("DiagonalBackward0" + M, ("TBackward0",)),
        ("AsStridedBackward0" + M, ("CopySlices",))),
}

REJECTED = {
    "a node-name mismatch on a view never written through": (
        ("SliceBackward0", (("ExpBackward0", (LEAF,)),)),
        ("SelectBackward0", (("ExpBackward0", (LEAF,)),))),
    "AsStridedBackward0 for a view that is not stale": (
        ("SliceBackward0", (("ExpBackward0", (LEAF,)),)),
        ("AsStridedBackward0", (("ExpBackward0", (LEAF,)),))),
    "a stale view in PyTorch only (its version differs here)": (
        ("SliceBackward0", (("ExpBackward0", (LEAF,)),)),
        ("AsStridedBackward0" + M, (("ExpBackward0", (LEAF,)),))),
    "a stale view whose node here is not a view node": (
        ("ExpBackward0" + M, (("ExpBackward0", (LEAF,)),)),
        ("AsStridedBackward0" + M, (("ExpBackward0", (LEAF,)),))),
    "a stale view over a different base history": (
        ("SliceBackward0" + M, (("CopySlices", (("SinBackward0", (LEAF,)),)),)),
        ("AsStridedBackward0" + M, (("CopySlices", (("ExpBackward0", (LEAF,)),)),))),
    "a stale view, and a name mismatch elsewhere in the chain": (
        ("AddBackward0", (("SliceBackward0" + M, (("ExpBackward0", (LEAF,)),)),
                          ("SinBackward0", (LEAF,)))),
        ("AddBackward0", (("AsStridedBackward0" + M, (("ExpBackward0", (LEAF,)),)),
                          ("CosBackward0", (LEAF,))))),
}


@pytest.mark.parametrize("ours, theirs", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_the_stale_view_entry_accepts_the_allowed_forms(ours, theirs):
    assert D._known_chain(("op",), ours, theirs) == [STALE]


@pytest.mark.parametrize("ours, theirs", REJECTED.values(), ids=REJECTED.keys())
def test_the_stale_view_entry_rejects_other_differences(ours, theirs):
    assert D._known_chain(("op",), ours, theirs) is None


# ---- programs run in both libraries -----------------------------------------------------
PROGRAMS = {  # found by 20,000-program campaigns; each has stale-view differences only
    # t5 = t4[:1] is written; t4 itself is zeroed, so t5 is stale over ZeroBackward0
    "view over an in-place op's node": (0, [
        ("op", "add", 532, 215), ("op", "index_list", 508, 359), ("backward", 743, True),
        ("inplace", "slice", "zero_", 524, 134), ("retain_grad", 95), ("retain_grad", 1000),
        ("inplace", "self", "zero_", 1000, 584), ("op", "slice", 26, 22)]),
    # t4 = t0.view(-1).reshape(-1); t0 is written through t0.detach(): no CopySlices
    "reshape of a view of a leaf written through detach": (0, [
        ("op", "view_flat", 0, 0), ("op", "reshape_flat", 3, 0), ("op", "detach", 0, 0),
        ("inplace", "self", "add_", 5, 0), ("op", "exp", 4, 0), ("retain_grad", 4),
        ("backward", 7, True)]),
}


@pytest.mark.parametrize("program", PROGRAMS.values(), ids=PROGRAMS.keys())
def test_stale_view_programs_differ_only_by_the_allowed_case(program):
    torch = pytest.importorskip("torch")
    ours, theirs = P.run(program, al), P.run(program, torch)
    found = D.classify(program, ours, theirs)
    assert found, "the program shows the difference"
    assert all(hits == [STALE] for hits, _ in found), found
    assert ours["final"]["stale_views"] == theirs["final"]["stale_views"] != set()


def test_stale_views_are_the_views_written_after_they_were_made():
    """The bookkeeping, without PyTorch: t3 = t0 * 1, t4 = t3[:1] (a view), t5 = t3[0]
    written in place: t4 and t5 are stale, t3 (no view) is not; t6 = t3.t() made after."""
    program = (0, [("op", "scale", 0, 0), ("op", "slice", 3, 0),
                   ("inplace", "select0", "mul_", 3, 0), ("op", "T", 3, 0)])
    ours = P.run(program, al)
    assert ours["final"]["stale_views"] == {4, 5}
    assert ours["steps"][2][2]["grad_fn"][0] == "SelectBackward0" + M  # the written view
    assert ours["steps"][3][2]["grad_fn"][0] == "TBackward0"  # made after: not stale


def test_the_stale_view_entry_rejects_a_renamed_node_in_a_real_trace():
    """A plain node-name difference on a view never written through (PyTorch's trace
    edited) is unknown, and so is one below a stale view's node."""
    torch = pytest.importorskip("torch")
    program = (0, [("op", "exp", 0, 0), ("op", "slice", 3, 0)])
    ours, theirs = P.run(program, al), P.run(program, torch)
    assert P.compare(ours, theirs) is None
    assert theirs["steps"][1][2]["grad_fn"][0] == "SliceBackward0"
    theirs["steps"][1][2]["grad_fn"] = ("SelectBackward0", theirs["steps"][1][2]["grad_fn"][1])
    assert [hits for hits, _ in D.classify(program, ours, theirs)] == [None]

    program = PROGRAMS["view over an in-place op's node"]
    ours, theirs = P.run(program, al), P.run(program, torch)
    top = theirs["steps"][-1][2]["grad_fn"]  # Slice -> AsStrided [stale] -> Zero -> ...
    stale = top[1][0]
    assert stale[0] == "AsStridedBackward0" + M and stale[1][0][0] == "ZeroBackward0"
    renamed = ("MulBackward0", stale[1][0][1])  # ZeroBackward0 renamed, nodes below kept
    theirs["steps"][-1][2]["grad_fn"] = (top[0], ((stale[0], (renamed,)),))
    assert D.classify(program, ours, theirs)[-1][0] is None


def test_a_rewrite_that_changes_both_chains_alike_is_not_counted():
    """A stale view over a gradient made with create_graph=True (its grad_fn marked by the
    interpreter, which the formula-graph entry rewrites, if it is still listed): only the
    stale-view entry explains the difference."""
    graph = ("MulBackward0" + P.FORMULA_GRAPH, (None, ("ExpBackward0", (LEAF,))))
    ours = ("SliceBackward0" + M, (("CopySlices", (graph,)),))
    theirs = ("AsStridedBackward0" + M, (("CopySlices", (graph,)),))
    assert D._known_chain(("op",), ours, theirs) == [STALE]
