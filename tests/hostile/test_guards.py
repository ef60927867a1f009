"""The resource guards: the degree bound against SymPy's own degree of the expanded
polynomial, the limits at their edges, and 'undecided' instead of a hang in the criteria."""

from __future__ import annotations

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from modelcollapse import guards, symbols
from modelcollapse.schedules import Schedule
from modelcollapse.theory.criteria import leading_term

t = sp.Symbol("t")


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.integers(-3, 3), st.integers(1, 6), st.integers(1, 3)),
                min_size=1, max_size=4))
def test_degree_bound_is_at_least_the_degree(terms):
    """For products and powers of binomials the bound is the degree of the expansion (or
    above it where terms cancel): never below, so no large polynomial slips through."""
    expr = sp.Integer(1)
    for c, k, e in terms:
        expr = expr * (t**k + c) ** e
    bound = guards.degree_bound(expr, [t])
    true = sp.Poly(sp.expand(expr), t).degree()
    assert bound >= true
    assert bound == true  # nothing cancels the leading t**k of a factor


def test_degree_limit_edges():
    limit = guards.MAX_DEGREE
    Schedule(f"t**{limit}")  # at the limit: allowed
    with pytest.raises(ValueError, match=f"degree {limit + 1} in t.*MAX_DEGREE = {limit}"):
        Schedule(f"t**{limit + 1}")
    with pytest.raises(ValueError, match="MAX_DEGREE"):
        Schedule("exp(t**101)")  # a function counts with its argument
    Schedule("n0*2**t")  # exponential growth is not a polynomial degree
    Schedule("t**100*log(t + 1)**100")  # a function's value counts as a constant


def test_dimension_and_horizon_edges():
    from modelcollapse.theory import derive

    with pytest.raises(ValueError, match="MAX_DIMENSION"):
        derive("mvgaussian", dim=guards.MAX_DIMENSION + 1)
    sched = Schedule("n0", n0=10)
    assert len(sched.sizes(1000)) == 1001
    with pytest.raises(ValueError, match="MAX_HORIZON"):
        sched.sizes(guards.MAX_HORIZON + 1)


def test_categorical_dim_gives_equal_cells():
    from modelcollapse.theory.derive import parameter_values

    fam = __import__("modelcollapse.families", fromlist=["get_family"]).get_family(
        "categorical")
    assert parameter_values(fam, None, dim=4)["p"].tolist() == [0.25] * 4


def test_leading_term_is_undecided_beyond_the_limits():
    n = symbols.n
    small = leading_term(3 / (n**50 + n + 1))
    assert (small.coefficient, small.order) == (3, 50)  # 3 n^-50 exactly
    assert leading_term(1 / (n**997 + n + 1)) is None  # undecided, at once
    assert guards.too_large(sp.Add(*(sp.log(n + k) for k in range(3000))), [n])  # operations


@pytest.mark.parametrize(("expr", "T"), [("n0*(t+1)**100", 10**6), ("n0*t**3", 10**7)])
def test_too_many_digits_are_refused_from_a_prediction_before_the_sizes(expr, T):
    """Within every input limit, but the exact sizes would hold 1e8 to 1e9 digits: computing
    them first took minutes and gigabytes before the digit count refused them."""
    with pytest.raises(ValueError, match=r"^the sizes up to t=\d+ would have about .* digits in "
                                         r"all .*allowed: at most 10000000 digits per call"):
        Schedule(expr, n0=100).sizes(T)


def test_sizes_within_the_digit_limit_are_still_computed():
    sizes = Schedule("n0*t**3", n0=100).sizes(10**5)  # 55 000 sizes beyond 2**53
    assert sizes[-1] == 100 * 10**15 and sizes[44_814] == 100 * 44_814**3
    assert Schedule("n0*t", n0=100).sizes(10**6)[-1] == 10**8


def test_a_size_with_more_digits_than_a_float_holds_is_one_line():
    """mpmath gives the magnitude of exp(exp(t**10)) as an int beyond the float range; the
    message divided it as a float (OverflowError, found by Hypothesis)."""
    with pytest.raises(ValueError, match=r"^n_t at t=\d+ has about 10\*\*\d+ digits"):
        Schedule("exp(exp((t)**(n0)))", n0=10).sizes(5)
