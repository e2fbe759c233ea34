"""Folding big graphs: what ``max_nodes`` hides, and a label that says exactly what.

Two moves, in order, until the drawing has at most ``max_nodes`` nodes:

1. a long *chain* (nodes with one parent and one non-leaf child, as a deep stack of
   layers makes) keeps its first and last two nodes; the middle becomes one box that
   says how many nodes it holds and, when their names repeat, the repeating pattern
   (``(MulBackward0 → AddBackward0) × 20``). The leaves only those nodes use go with it;
2. if that is not enough, the nodes found last by the walk (the farthest from the
   outputs) go into one box: ``1,240 more nodes not drawn (max_nodes=200): ...``.

Labels only state what is true of the names: a repeated pattern is a repetition of node
names, never a claim that the same parameters were used (torchlens' "honesty contract").
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..autograd.graph import AccumulateGrad

__all__ = ["FoldPlan", "Fold", "fold_plan"]

KEEP = 2  # nodes kept at each end of a folded chain
MIN_FOLDED = 4  # a fold replaces at least this many nodes


@dataclass
class Fold:
    id: str
    label: str
    members: list
    exits: list = field(default_factory=list)  # nodes outside it that its edges lead to


@dataclass
class FoldPlan:
    kept: list
    folds: list
    fold_of: dict  # id(hidden node) -> fold id


def fold_plan(order: list, max_nodes: int | None) -> FoldPlan:
    """Which nodes of ``order`` (the walk's order) to draw, and the folds for the rest."""
    if max_nodes is not None and (not isinstance(max_nodes, int) or isinstance(max_nodes, bool)):
        raise TypeError(f"draw_graph: max_nodes must be an int (or None for no limit), "
                        f"got {max_nodes!r}")
    if max_nodes is not None and max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be at least 1 (or None for no limit), "
                         f"got {max_nodes}")
    if max_nodes is None or len(order) <= max_nodes:
        return FoldPlan(list(order), [], {})
    index = {id(n): i for i, n in enumerate(order)}
    children = [_unique(index[id(fn)] for fn, _ in n.next_functions if fn is not None)
                for n in order]
    parents: list = [[] for _ in order]
    for i, kids in enumerate(children):
        for k in kids:
            parents[k].append(i)
    leaf = [isinstance(n, AccumulateGrad) for n in order]
    spine = [[k for k in kids if not leaf[k]] for kids in children]

    def interior(i: int) -> bool:
        return not leaf[i] and len(parents[i]) == 1 and len(spine[i]) == 1

    runs: list = []
    assigned: set = set()
    for i in range(len(order)):
        if i in assigned or not interior(i):
            continue
        above, below, in_run = [], [], {i}  # a set: a 10,000-node chain stays linear
        up = parents[i][0]
        while interior(up) and up not in assigned and up not in in_run:
            above.append(up)
            in_run.add(up)
            up = parents[up][0]
        down = spine[i][0]
        while interior(down) and down not in assigned and down not in in_run:
            below.append(down)
            in_run.add(down)
            down = spine[down][0]
        run = above[::-1] + [i] + below
        assigned.update(run)
        if len(run) >= 2 * KEEP + MIN_FOLDED:
            runs.append(run)
    hidden: dict = {}
    folds: list = []
    for run in sorted(runs, key=lambda r: (-len(r), r[0])):  # the longest chains first
        if len(order) - len(hidden) + len(folds) <= max_nodes:
            break
        middle = run[KEEP:-KEEP]
        inside = set(middle)
        leaves = [k for j in middle for k in children[j]
                  if leaf[k] and all(p in inside for p in parents[k])]
        fold = Fold(f"f{len(folds)}", _chain_label([order[j] for j in middle], len(leaves)),
                    middle + _unique(leaves))
        folds.append(fold)
        for j in fold.members:
            hidden[j] = fold.id
    visible = [i for i in range(len(order)) if i not in hidden]
    if len(visible) + len(folds) > max_nodes:
        # Still too many: keep the first max_nodes - 1 things the walk found (nodes, and
        # chain folds by their first node); one box holds all the rest.
        units = sorted([(i, None) for i in visible] + [(min(f.members), f) for f in folds],
                       key=lambda unit: unit[0])[:max_nodes - 1]
        visible = [i for i, fold in units if fold is None]
        folds = [fold for _, fold in units if fold is not None]
        shown = set(visible).union(*(fold.members for fold in folds))
        rest = [i for i in range(len(order)) if i not in shown]
        folds.append(Fold("", _rest_label([order[j] for j in rest], max_nodes), rest))
        hidden = {}
        for n, fold in enumerate(folds):
            fold.id = f"f{n}"
            hidden.update(dict.fromkeys(fold.members, fold.id))
    for fold in folds:  # where its edges lead: drawn nodes, or nodes in other folds
        fold.exits = [order[k] for k in _unique(k for j in fold.members for k in children[j])
                      if hidden.get(k) != fold.id]
    return FoldPlan([order[i] for i in visible], folds,
                    {id(order[j]): fid for j, fid in hidden.items()})


def _unique(items) -> list:
    seen, out = set(), []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def _counts(nodes: list) -> str:
    counts = Counter(n.name() for n in nodes)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = ", ".join(f"{c:,} {name}" for name, c in ranked[:4])
    return shown + (f", {len(ranked) - 4} more kinds" if len(ranked) > 4 else "")


def _chain_label(nodes: list, leaves: int) -> str:
    names = [n.name() for n in nodes]
    text = f"{len(names) + leaves:,} nodes: "  # all it holds: the notes add up
    period = _period(names)
    if period is not None:
        reps, rest = divmod(len(names), period)
        pattern = names[0] if period == 1 else f"({' → '.join(names[:period])})"
        text += f"{pattern} × {reps}"
        if rest:
            text += f" + {rest}"
    else:
        text += _counts(nodes)
    if leaves:
        text += f" and {leaves} leaves"
    return text


def _period(names: list) -> int | None:
    """The shortest p (at most 6) such that the names repeat every p, at least twice."""
    for p in range(1, 7):
        if 2 * p <= len(names) and all(names[i] == names[i + p] for i in range(len(names) - p)):
            return p
    return None


def _rest_label(nodes: list, max_nodes: int) -> str:
    return f"{len(nodes):,} more nodes not drawn (max_nodes={max_nodes}): {_counts(nodes)}"
