"""Notebook 03's checkers: the solution passes, likely mistakes fail with their hint."""

import numpy as np

from autograd_lab.exercises import nb03


def _preorder(root):
    """Depth-first preorder: every node once, but not topological on a diamond."""
    seen, out = set(), []

    def go(node):
        if id(node) in seen:
            return
        seen.add(id(node))
        out.append(node)
        for child, _ in node.next_functions:
            if child is not None:
                go(child)

    go(root)
    return out


def test_topo_order_solution_passes(solution):
    result = nb03.check_topo_order(solution.topo_order)
    assert result.passed, result


def test_topo_order_preorder_names_the_two_nodes():
    result = nb03.check_topo_order(_preorder)
    assert result.status == "failed"
    assert "comes before" in str(result)
    assert "which sends it a gradient" in str(result)
    assert "a depth-first preorder is not enough" in str(result)


def test_topo_order_without_visited_set_lists_a_node_twice():
    def no_seen(root):
        out, stack = [], [root]
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(c for c, _ in node.next_functions if c is not None)
        return out

    result = nb03.check_topo_order(no_seen)
    assert result.status == "failed"
    assert "appears twice in your order: keep a set" in str(result)


def test_topo_order_without_leaves_says_accumulate_grad_counts(solution):
    def no_leaves(root):
        return [n for n in solution.topo_order(root) if n.name() != "AccumulateGrad"]

    result = nb03.check_topo_order(no_leaves)
    assert result.status == "failed"
    assert "AccumulateGrad is missing (AccumulateGrad nodes count too" in str(result)


def test_topo_order_placeholder_is_not_attempted():
    def topo_order(root):
        raise NotImplementedError

    assert nb03.check_topo_order(topo_order).status == "not attempted"
    assert nb03.check_topo_order(None).status == "not attempted"


def test_predict_grad_solution_passes(solution):
    result = nb03.check_predict_grad(solution.predict_grad)
    assert result.passed, result


def test_predict_grad_replaced_says_backward_accumulates():
    result = nb03.check_predict_grad(lambda v: 4 * v)
    assert result.status == "failed"
    assert str(result).endswith("the second backward() adds to a.grad; it does not replace it")


def test_predict_grad_b_constant_says_b_depends_on_a():
    result = nb03.check_predict_grad(lambda v: 2 * v + 3)
    assert result.status == "failed"
    assert str(result).endswith("b depends on a too: a reaches b * a through both factors")


def test_predict_grad_placeholder_is_not_attempted():
    assert nb03.check_predict_grad(lambda v: None).status == "not attempted"
    assert nb03.check_predict_grad(None).status == "not attempted"


def test_engine_solution_passes(solution):
    result = nb03.check_engine(solution.run_backward)
    assert result.passed, result


def test_engine_run_on_first_gradient_is_named():
    result = nb03.check_engine(nb03._visited_engine)
    assert result.status == "failed"
    assert "graph 1: leaf 0's gradient, element (0,): expected" in str(result)
    assert str(result).endswith("count each node's incoming edges first, and run it only "
                                "when the count reaches 0")


def test_engine_wrong_length_is_told():
    result = nb03.check_engine(lambda loss, leaves: [np.zeros(3)])
    assert result.status == "failed"
    assert "should return a list of 3 gradients, one per leaf" in str(result)


def test_engine_placeholder_is_not_attempted():
    def run_backward(loss, leaves):
        raise NotImplementedError

    assert nb03.check_engine(run_backward).status == "not attempted"
