"""The search's per-move arithmetic before the engine, one move at a time (compiled by
:func:`isoplan.planning.loops.compiled_loop`): the tax after any credit over the deduction elections
(:meth:`isoplan.planning.model.ElectionTaxes.after_credit`), a move's value and carried labels from those
(:func:`isoplan.planning.staging._reach_bound`), and the label rows the search carries
(:func:`isoplan.planning.staging._carried`).

Each loop does the arithmetic of the array expression it replaces, operation by operation in the same order, so its
figures are the same to the last bit; ``x if x != x or x < y else y`` is :func:`numpy.minimum`'s choice (NaN kept),
and likewise for the largest. One pass with no temporary arrays: the arrays it replaces cost more to allocate and
fill than their arithmetic.
"""

from __future__ import annotations

import numpy as np

from isoplan.planning.loops import compiled_loop


def after_credit(tax: np.ndarray, limit: np.ndarray, other: np.ndarray, amt: np.ndarray, credit: np.ndarray,
                 rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per scenario (row ``rows[i]`` of the (elections, n) arrays, carrying ``credit[i]``): the least over the
    elections of ``tax - min(credit, limit) + other``, and the most of ``max(credit - min(credit, limit) + amt, 0)``
    (see :class:`isoplan.planning.model.ElectionTaxes`)."""
    least, most_left = np.empty(rows.size), np.empty(rows.size)
    compiled_loop(_after_credit_loop)(tax, limit, other, amt, np.ascontiguousarray(credit, dtype=np.float64),
                                      np.ascontiguousarray(rows, dtype=np.int64), least, most_left)
    return least, most_left


def _after_credit_loop(tax: np.ndarray, limit: np.ndarray, other: np.ndarray, amt: np.ndarray, credit: np.ndarray,
                       rows: np.ndarray, least: np.ndarray, most_left: np.ndarray) -> None:
    """:func:`after_credit` one scenario at a time, the elections in order."""
    for i in range(rows.shape[0]):
        row = rows[i]
        c = credit[i]
        for e in range(tax.shape[0]):
            cap = limit[e, row]
            used = c if c != c or c < cap else cap
            after = tax[e, row] - used + other[e, row]
            left = c - used + amt[e, row]
            left = left if left != left or left > 0.0 else 0.0
            if e == 0:
                least[i] = after
                most_left[i] = left
            else:
                so_far = least[i]
                least[i] = so_far if so_far != so_far or so_far < after else after
                so_far = most_left[i]
                most_left[i] = so_far if so_far != so_far or so_far > left else left


def move_labels(parent: np.ndarray, pair: np.ndarray, node_value: np.ndarray, node_labels: np.ndarray,
                tax: np.ndarray, state_next: np.ndarray | None, moves: tuple[np.ndarray, ...], base_tax: float,
                cash_limit: float, discount: float,
                rolled_cash: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per move (node ``parent[i]``, pair ``pair[i]``) with its year's tax ``tax[i]`` and the state's credit it
    leaves (``state_next``; None: the node's, never below zero): the value after the year and the carried labels
    but the federal credit (regular basis, AMT basis, the state's credit, unspent cash; zero when it does not roll).
    ``moves``: per pair, strike paid, proceeds, regular and AMT basis added. See
    :func:`isoplan.planning.staging._reach_bound`."""
    n = parent.size
    value, regular, amt_basis, cash = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    state = np.empty(n) if state_next is None else np.ascontiguousarray(state_next, dtype=np.float64)
    strike_paid, proceeds, regular_added, amt_added = (np.ascontiguousarray(a, dtype=np.float64) for a in moves)
    compiled_loop(_move_labels_loop)(
        np.ascontiguousarray(parent, dtype=np.int64), np.ascontiguousarray(pair, dtype=np.int64),
        np.ascontiguousarray(node_value, dtype=np.float64), np.ascontiguousarray(node_labels, dtype=np.float64),
        np.ascontiguousarray(tax, dtype=np.float64), strike_paid, proceeds, regular_added, amt_added,
        float(base_tax), float(cash_limit), float(discount), bool(rolled_cash), state_next is None,
        value, regular, amt_basis, state, cash)
    return value, regular, amt_basis, state, cash


def _move_labels_loop(parent: np.ndarray, pair: np.ndarray, node_value: np.ndarray, node_labels: np.ndarray,
                      tax: np.ndarray, strike_paid: np.ndarray, proceeds: np.ndarray, regular_added: np.ndarray,
                      amt_added: np.ndarray, base_tax: float, cash_limit: float, discount: float, rolled_cash: bool,
                      own_state: bool, value: np.ndarray, regular: np.ndarray, amt_basis: np.ndarray,
                      state: np.ndarray, cash: np.ndarray) -> None:
    """:func:`move_labels` one move at a time (``own_state``: ``state`` is filled from the node's)."""
    for i in range(parent.shape[0]):
        node = parent[i]
        move = pair[i]
        extra_tax = tax[i] - base_tax
        paid = extra_tax if extra_tax != extra_tax or extra_tax > 0.0 else 0.0
        cash_out = strike_paid[move] + paid - proceeds[move]
        cash_out = cash_out if cash_out != cash_out or cash_out > 0.0 else 0.0
        value[i] = node_value[node] + discount * (proceeds[move] - strike_paid[move] - extra_tax)
        regular[i] = node_labels[node, 1] + regular_added[move]
        amt_basis[i] = node_labels[node, 2] + amt_added[move]
        if own_state:
            held = node_labels[node, 3]
            state[i] = held if held != held or held > 0.0 else 0.0
        if rolled_cash:
            left = cash_limit + node_labels[node, 4] - cash_out
            cash[i] = left if left != left or left > 0.0 else 0.0
        else:
            cash[i] = 0.0


def carried(credit: np.ndarray, regular_basis: np.ndarray, amt_basis: np.ndarray, state_credit: np.ndarray,
            cash: np.ndarray) -> np.ndarray:
    """:func:`isoplan.planning.staging._carried`'s rows: the five labels, then the cash plus the federal credit, plus
    the state's credit, plus both."""
    columns = [np.ascontiguousarray(a, dtype=np.float64) for a in (credit, regular_basis, amt_basis, state_credit,
                                                                    cash)]
    out = np.empty((columns[0].size, 8))
    compiled_loop(_carried_loop)(*columns, out)
    return out


def _carried_loop(credit: np.ndarray, regular_basis: np.ndarray, amt_basis: np.ndarray, state_credit: np.ndarray,
                  cash: np.ndarray, out: np.ndarray) -> None:
    """:func:`carried` one row at a time."""
    for i in range(credit.shape[0]):
        out[i, 0] = credit[i]
        out[i, 1] = regular_basis[i]
        out[i, 2] = amt_basis[i]
        out[i, 3] = state_credit[i]
        out[i, 4] = cash[i]
        out[i, 5] = cash[i] + credit[i]
        out[i, 6] = cash[i] + state_credit[i]
        out[i, 7] = cash[i] + credit[i] + state_credit[i]
