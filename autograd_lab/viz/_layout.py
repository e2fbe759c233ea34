"""A layered layout computed in Python, for graphs too big for ``dot`` to lay out quickly.

dot's layout grows much faster than the graph: on a 2-core machine a 2,000-node graph
with skip connections takes about two minutes, even with iteration limits ~5 s, while
Graphviz only *drawing* 5,000 nodes at given positions (``neato -n2``) takes ~0.2 s
(the anchors note, section 1.5). So above ``PRELAID_ABOVE`` boxes we place them
ourselves, as torchlens does: a box's rank is its longest distance from an output (so
every arrow points down), and boxes within a rank are ordered by the mean position of
their parents (the barycenter heuristic), then packed left to right.
"""

from __future__ import annotations

from collections import deque

__all__ = ["layered_positions", "PRELAID_ABOVE", "LIMITED_ABOVE"]

LIMITED_ABOVE = 300  # dot with iteration limits above this many boxes
PRELAID_ABOVE = 1500  # positions computed here above this many boxes

_RANK_GAP = 72.0  # points between ranks
_BOX_GAP = 18.0  # points between boxes in a rank
_CHAR = 6.5  # an estimate of a character's width at the drawing's font size


def _width(label_lines: list) -> float:
    return max(len(line) for line in label_lines) * _CHAR + 16.0


def layered_positions(keys: list, labels: dict, edges: list) -> dict:
    """``{key: (x, y)}`` in points for boxes ``keys`` joined by ``edges`` (tail, head)."""
    children: dict = {k: [] for k in keys}
    indegree = dict.fromkeys(keys, 0)
    for tail, head in edges:
        if tail in children and head in indegree and tail != head:
            children[tail].append(head)
            indegree[head] += 1
    rank = dict.fromkeys(keys, 0)
    queue = deque(k for k in keys if indegree[k] == 0)
    remaining = dict(indegree)
    while queue:  # longest path from a source, in topological order
        k = queue.popleft()
        for c in children[k]:
            rank[c] = max(rank[c], rank[k] + 1)
            remaining[c] -= 1
            if remaining[c] == 0:
                queue.append(c)
    parents: dict = {k: [] for k in keys}
    for k in keys:
        for c in children[k]:
            parents[c].append(k)
    layers: dict = {}
    for k in keys:
        layers.setdefault(rank[k], []).append(k)
    x_of: dict = {}
    positions: dict = {}
    for r in sorted(layers):
        layer = layers[r]
        order = {k: i for i, k in enumerate(layer)}

        def barycenter(k, order=order):
            xs = [x_of[p] for p in parents[k] if p in x_of]
            return (sum(xs) / len(xs), order[k]) if xs else (float("inf"), order[k])

        layer.sort(key=barycenter)
        x = 0.0
        for k in layer:
            w = _width(labels[k])
            x_of[k] = x + w / 2
            positions[k] = (x + w / 2, -r * _RANK_GAP)
            x += w + _BOX_GAP
    return positions
