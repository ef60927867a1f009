"""Hypothesis strategies shared by the parser and schedule tests."""

from __future__ import annotations

from hypothesis import strategies as st

#: pieces of the whitelisted grammar
ALLOWED_TOKENS = ["t", "n0", "s", "0", "1", "2", "10", "0.5", "1e3", "pi", "e", "+", "-", "*",
                  "/", "**", "(", ")", "log(", "ln(", "exp(", "sqrt(", " "]
#: the functions added later (abs, gamma-type, min/max) and the comma between arguments
FUNCTION_TOKENS = ["abs(", "gamma(", "loggamma(", "digamma(", "beta(", "min(", "max(", ","]
#: what must never be evaluated: other names, attributes, indexing, keywords, huge numbers
FORBIDDEN_TOKENS = ["x", "^", "__import__", ".", "[", "]", "'a'", "lambda", "=", "os", "\n",
                    "%", "//", "j", "1e999", "not", "<", "getattr(", ":", "\\", "\x00", "E",
                    "sin(", "9" * 40, "**9999", "min", "beta", "gamma(10**6)", "*t, 1",
                    "x=1", "Abs(", "polygamma("]


def grammar_tokens(max_size: int) -> st.SearchStrategy[str]:
    """Texts glued from allowed and forbidden tokens."""
    return st.lists(st.sampled_from(ALLOWED_TOKENS + FUNCTION_TOKENS + FORBIDDEN_TOKENS),
                    max_size=max_size).map("".join)
