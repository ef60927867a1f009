"""Family files (``*.toml``): every documented key, every bad case as one line, and a property
test that random documents either load or fail cleanly and never run anything.

DESIGN (public contract): keys ``name``, ``parameter``, ``domain``, ``kind``, ``default``,
``min_size``, ``constants``, either ``mean`` + ``variance`` or ``log_density`` + ``support``
(+ ``variable``), optionally ``law``; ``modelcollapse.families.files`` adds ``description``.
A bad key, type or expression is one ``ValueError`` line naming the file and the key.
"""

from __future__ import annotations

import math
import os
import re
import string
import tempfile
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from modelcollapse.families import _REGISTRY, get_family, load
from modelcollapse.families import files as family_files
from modelcollapse.families.custom import DOMAINS, KINDS, UserFamily, fisher_information
from modelcollapse.families.files import KEYS, MAX_BYTES
from modelcollapse.schedules import Schedule
from modelcollapse.symbols import n as N
from modelcollapse.theory import derive

DATA = Path(__file__).parent / "data"
DOCUMENTED = ("name", "parameter", "domain", "kind", "default", "min_size", "constants",
              "description", "mean", "variance", "log_density", "support", "variable", "law")

GOOD = """\
name = "uniform-max"
parameter = "theta"
domain = "positive"
kind = "scale"
default = 1.0
mean = "theta"
variance = "theta**2/(n*(n + 2))"
law = "theta * (n + 1)/n * Beta(n, 1)"
"""


@pytest.fixture(autouse=True)
def clean_registry():
    before = set(_REGISTRY)
    yield
    for name in set(_REGISTRY) - before:
        del _REGISTRY[name]


def write(folder: Path, text: str, name: str = "family.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def replace_line(text: str, key: str, line: str | None) -> str:
    """GOOD with the line of ``key`` replaced (None: removed)."""
    out = [(line if line is not None else None) if ln.split(" = ")[0] == key else ln
           for ln in text.splitlines()]
    return "\n".join(ln for ln in out if ln is not None) + "\n"


# ------------------------------------------------------------------------------------------
# the keys
# ------------------------------------------------------------------------------------------
def test_keys_are_the_documented_ones():
    assert tuple(KEYS) == DOCUMENTED
    for key in DOCUMENTED:
        assert f"``{key}``" in family_files.__doc__


def test_the_data_files_are_short():
    """The promise is a family in about 10 lines of TOML."""
    for path in sorted(DATA.glob("*.toml")):
        lines = [ln for ln in path.read_text().splitlines()
                 if ln.strip() and not ln.lstrip().startswith("#")]
        assert len(lines) <= 10, path.name


def test_docstring_example_file(tmp_path):
    fam = load(write(tmp_path, GOOD))
    assert isinstance(fam, UserFamily)
    assert fam.name == "uniform-max" and fam.origin == "moment map"
    assert fam.estimator().exact
    assert repr(fam.estimator().laws["theta"]) == "ScaledBeta(a=n, b=1, scale=(n*theta + theta)/n)"


def test_every_moment_map_key_takes_effect(tmp_path):
    text = """\
name = "all-keys"
parameter = "scale"
domain = "positive"
kind = "scale"
default = 2
min_size = 5
description = "a Gamma scale with known shape k, with every key of the moment-map form"
mean = "scale"
variance = "scale**2/(n*k)"
law = "scale * Gamma(n*k, 1)/(n*k)"

[constants]
k = 3
"""
    fam = load(write(tmp_path, text))
    (p,) = fam.parameters
    assert (p.name, p.domain, p.kind, p.default) == ("scale", "positive", "scale", 2.0)
    assert fam.estimator().min_size == 5
    assert fam.texts["law"] == "scale * Gamma(n*k, 1)/(n*k)"
    law = fam.estimator().laws["scale"]
    assert sp.simplify(law.variance() - p.symbol**2 / (3 * N)) == 0  # k = 3 went in
    d = derive(fam, schedule=Schedule("n0", n0=5), T=0)  # default 2: Var = 4/(3 n)
    assert math.isclose(d.values["variance_T"], 4 / 15, rel_tol=1e-12)
    with pytest.raises(ValueError, match="5"):
        derive(fam, schedule=Schedule("n0", n0=4), T=0)


def test_every_log_density_key_takes_effect(tmp_path):
    text = """\
name = "rate-by-density"
parameter = "lam"
domain = "positive"
kind = "rate"
default = 0.5
variable = "y"
log_density = "log(c*lam) - c*lam*y"
support = [0, "oo"]
law = "lam * n / Gamma(n, 1)"
constants = { c = 2 }
"""
    fam = load(write(tmp_path, text))
    lam = fam.parameters[0].symbol
    assert sp.simplify(fisher_information(fam) - 1 / lam**2) == 0
    assert fam.parameters[0].kind == "rate" and fam.parameters[0].default == 0.5
    assert fam.origin == "log-density" and fam.estimator().exact


def test_law_alone_and_beside_a_density(tmp_path):
    alone = load(write(tmp_path, 'name = "lap"\nparameter = "b"\ndomain = "positive"\n'
                                 'kind = "scale"\nlaw = "b * Gamma(n, 1) / n"\n'))
    b = alone.parameters[0].symbol
    assert sp.simplify(alone.moment_map().mean - b) == 0
    assert sp.simplify(alone.moment_map().variance - b**2 / N) == 0
    beside = load(DATA / "laplace-scale-density.toml")
    assert repr(beside.estimator().laws) == repr(alone.estimator().laws)
    assert fisher_information(beside) == 1 / beside.parameters[0].symbol ** 2


def test_a_law_without_the_parameter_is_refused(tmp_path):
    # it was accepted, then derive and validate stopped with KeyError: theta
    path = write(tmp_path, 'name = "fam"\nparameter = "theta"\ndomain = "positive"\n'
                           'kind = "scale"\nlaw = "Gamma(n, 1)/n"\n')
    with pytest.raises(ValueError) as info:
        load(path)
    assert str(info.value) == (f"family file {path}: family fam: the law 'Gamma(n, 1)/n' "
                               "does not depend on theta")


def test_windows_line_endings_and_comments(tmp_path):
    text = "# a comment\r\n" + GOOD.replace("\n", "  # trailing comment\r\n")
    assert load(write(tmp_path, text)) == load(write(tmp_path, GOOD, "plain.toml"))


def test_register_puts_the_file_family_in_the_registry(tmp_path):
    fam = load(write(tmp_path, GOOD), register=True)
    assert get_family("uniform-max") is fam


def test_get_family_caches_one_object_per_file_version(tmp_path):
    path = write(tmp_path, GOOD)
    first = get_family(str(path))
    assert get_family(path) is first  # str or path
    write(tmp_path, GOOD.replace("default = 1.0", "default = 2.5"))
    second = get_family(str(path))
    assert second is not first and second.parameters[0].default == 2.5


def test_a_file_of_exactly_max_bytes_loads(tmp_path):
    body = GOOD + "# "
    text = body + "x" * (MAX_BYTES - len(body.encode()) - 1) + "\n"
    assert len(text.encode()) == MAX_BYTES
    assert load(write(tmp_path, text)).name == "uniform-max"


# ------------------------------------------------------------------------------------------
# bad files: one ValueError line naming the file and the key
# ------------------------------------------------------------------------------------------
def assert_one_line(exc: pytest.ExceptionInfo, path: Path, *words: str) -> None:
    message = str(exc.value)
    assert "\n" not in message and "\r" not in message, message
    prefix = f"family file {path}: "
    assert message.startswith(prefix), message
    problem = message[len(prefix):]  # the words must be in the problem, not in the path
    for word in words:
        assert word in problem, (word, message)
    assert len(problem) < 1000


BAD_TEXT = {
    "unknown key": (GOOD + 'colour = "red"\n', r"unknown key 'colour'", ["colour"]),
    "misspelt key": (GOOD.replace("variance =", "varience ="), r"unknown key 'varience'",
                     ["varience", "variance"]),
    "string for a number": (replace_line(GOOD, "default", 'default = "one"'),
                            r"key 'default' must be", ["default"]),
    "boolean for a number": (replace_line(GOOD, "default", "default = true"),
                             r"key 'default' must be", ["default"]),
    "float for min_size": (GOOD + "min_size = 2.5\n", r"key 'min_size' must be an integer",
                           ["min_size"]),
    "number for a name": (replace_line(GOOD, "name", "name = 3"),
                          r"key 'name' must be a string", ["name"]),
    "number for an expression": (replace_line(GOOD, "mean", "mean = 1"),
                                 r"key 'mean' must be a string", ["mean"]),
    "string for constants": (GOOD + 'constants = "k = 2"\n', r"key 'constants' must be a table",
                             ["constants"]),
    "string for support": ('name = "a"\nparameter = "b"\nlog_density = "-log(b) - x/b"\n'
                           'support = "0, oo"\n', r"key 'support' must be an array",
                           ["support"]),
    "missing name": (replace_line(GOOD, "name", None), r"missing key 'name'", ["name"]),
    "missing parameter": (replace_line(GOOD, "parameter", None), r"missing key 'parameter'",
                          ["parameter"]),
    "code in an expression": (
        replace_line(GOOD, "variance", "variance = \"__import__('os').system('touch PWNED')\""),
        r"not allowed in variance", ["variance"]),
    "attribute access": (replace_line(GOOD, "mean", 'mean = "theta.real"'),
                         r"not allowed in mean", ["mean"]),
    "lambda": (replace_line(GOOD, "mean", 'mean = "(lambda: theta)()"'),
               r"not allowed in mean", ["mean"]),
    "unknown name": (replace_line(GOOD, "mean", 'mean = "theta + mu"'),
                     r"unknown name 'mu' in mean", ["mean", "mu"]),
    "expression too long": (replace_line(GOOD, "mean", 'mean = "theta' + " + 0" * 300 + '"'),
                            r"longer than", ["mean"]),
    "unknown law": (replace_line(GOOD, "law", 'law = "theta * Weibull(n, 1)"'),
                    r"no law call.* in law", ["law", "Weibull"]),
    "law with code": (replace_line(GOOD, "law", "law = \"theta * Beta(n, __import__('os'))\""),
                      r"law", ["law"]),
    "law disagrees with the mean": (replace_line(GOOD, "law", 'law = "theta * Beta(n, 1)"'),
                                    r"the law's mean .* differs from the declared mean",
                                    ["law", "mean"]),
    "law disagrees with the variance": (
        # the brief's first draft: variance 2 theta^2/n beside a law whose variance is
        # 2 theta^2 (1 - n^-1/2)^2 / n
        'name = "biased"\nparameter = "theta"\ndomain = "positive"\nkind = "scale"\n'
        'mean = "theta*(1 - 1/sqrt(n))"\nvariance = "2*theta**2/n"\n'
        'law = "theta*(1 - 1/sqrt(n))*ChiSquare(n)/n"\n',
        r"the law's variance .* differs from the declared variance", ["law", "variance"]),
    "both mean and log_density": (GOOD + 'log_density = "-log(theta) - x/theta"\n',
                                  r"either mean \+ variance or log_density, not both",
                                  ["mean", "log_density"]),
    "mean without variance": ('name = "a"\nparameter = "theta"\nmean = "theta"\n',
                              r"mean and variance must be given together",
                              ["mean", "variance"]),
    "no moment map, density or law": ('name = "a"\nparameter = "theta"\n',
                                      r"needs mean \+ variance, or log_density", ["law"]),
    "bad family name": (replace_line(GOOD, "name", 'name = "Uniform Max"'),
                        r"family name 'Uniform Max' is not allowed", ["name"]),
    "bad domain": (replace_line(GOOD, "domain", 'domain = "complex"'),
                   r"domain must be one of", ["domain", "complex"]),
    "bad kind": (replace_line(GOOD, "kind", 'kind = "weird"'), r"kind must be one of",
                 ["kind", "weird"]),
    "reserved parameter": (replace_line(GOOD, "parameter", 'parameter = "n"'),
                           r"parameter 'n' is reserved", ["parameter"]),
    "default outside the domain": (replace_line(GOOD, "default", "default = -1.0"),
                                   r"theta", ["-1"]),
    "constant that is not a number": (GOOD + '[constants]\nk = "two"\n',
                                      r"constant k .* must be a finite number", ["k"]),
    "constant named like the parameter": (GOOD + "[constants]\ntheta = 2\n",
                                          r"constant 'theta'", ["theta"]),
    "infinite constant": (GOOD + "[constants]\nk = inf\n", r"constant k .* finite", ["k"]),
    "support of three bounds": ('name = "a"\nparameter = "b"\nlog_density = "-log(b) - x/b"\n'
                                'support = ["0", "1", "oo"]\n', r"support must be an array of two",
                                ["support"]),
    "density that does not integrate to 1": (
        'name = "half"\nparameter = "lam"\nlog_density = "log(lam) - 2*lam*x"\n'
        'support = ["0", "oo"]\n', r"density integrates to 1/2", ["density"]),
    "invalid TOML": ('name = "a\n', r"is not valid TOML", []),
    "duplicate key": (GOOD + 'name = "again"\n', r"is not valid TOML", []),
}


@pytest.mark.parametrize(("text", "pattern", "words"), list(BAD_TEXT.values()),
                         ids=list(BAD_TEXT))
def test_bad_file_is_one_value_error_line(tmp_path, text, pattern, words):
    path = write(tmp_path, text)
    with pytest.raises(ValueError, match=re.escape(f"family file {path}") + ".*" + pattern) \
            as exc:
        load(path)
    assert_one_line(exc, path, *words)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["family.toml"]  # nothing created


def test_default_outside_the_domain_names_the_key(tmp_path):
    path = write(tmp_path, replace_line(GOOD, "default", "default = -1.0"))
    with pytest.raises(ValueError) as exc:
        load(path)
    assert_one_line(exc, path, "default")


def test_unnormalised_density_names_the_key(tmp_path):
    path = write(tmp_path, 'name = "half"\nparameter = "lam"\n'
                           'log_density = "log(lam) - 2*lam*x"\nsupport = ["0", "oo"]\n')
    with pytest.raises(ValueError) as exc:
        load(path)
    assert_one_line(exc, path, "log_density")


def test_non_utf8_bytes(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(GOOD.replace("theta", "th\xe9ta").encode("latin-1"))
    with pytest.raises(ValueError, match=re.escape(f"family file {path}") + ": is not UTF-8") \
            as exc:
        load(path)
    assert_one_line(exc, path)


def test_a_directory_instead_of_a_file(tmp_path):
    folder = tmp_path / "looks-like.toml"
    folder.mkdir()
    for how in (load, get_family):
        with pytest.raises(ValueError, match=re.escape(f"family file {folder}") +
                           ": is not a regular file") as exc:
            how(folder)
        assert_one_line(exc, folder)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="is not a regular file"):
        load(fifo)


def test_a_file_too_large(tmp_path):
    path = write(tmp_path, GOOD + "# " + "x" * MAX_BYTES + "\n")
    with pytest.raises(ValueError, match=re.escape(f"family file {path}") +
                       rf": is \d+ bytes, more than the {MAX_BYTES} allowed") as exc:
        load(path)
    assert_one_line(exc, path)


def test_a_missing_file(tmp_path):
    path = tmp_path / "nowhere.toml"
    with pytest.raises(ValueError, match=re.escape(f"family file {path}") +
                       r": cannot be read") as exc:
        load(path)
    assert_one_line(exc, path)


@pytest.mark.parametrize("bad", [3, None, b"family.toml", ["a.toml"]])
def test_path_of_the_wrong_type(bad):
    with pytest.raises(TypeError, match="path must be a str or a path"):
        load(bad)


# ------------------------------------------------------------------------------------------
# property: random documents load or fail in one line, and never run anything
# ------------------------------------------------------------------------------------------
SENTINEL_DIR = Path(tempfile.mkdtemp(prefix="modelcollapse-sentinel-"))
SENTINEL = SENTINEL_DIR / "PWNED"
PAYLOADS = [
    f"__import__('os').system('touch {SENTINEL}')",
    f"__import__('pathlib').Path('{SENTINEL}').touch()",
    f"open('{SENTINEL}', 'w')",
    f"exec(\"open('{SENTINEL}', 'w')\")",
    f"eval(\"open('{SENTINEL}', 'w')\")",
    f"theta * Beta(n, __import__('os').system('touch {SENTINEL}'))",
    f"Gamma(n, 1).__class__.__init__.__globals__['os'].system('touch {SENTINEL}')",
    f"(lambda: __import__('os').system('touch {SENTINEL}'))()",
    "theta.__class__.__mro__[1].__subclasses__()",
    "theta.real", "getattr(theta, 'real')", "lambda x: x", "[c for c in ()]", "{}", "globals()",
    "theta if n else 1", "theta; 1", "theta = 1", "theta[0]", "f'{theta}'", "'a' * 10**9",
    "9**9**9**9", "10**10**10", "gamma(10**6)", "exp(exp(exp(1000)))", "1/0", "0**-1",
    "sqrt(-1)", "log(0)", "oo", "nan", "zoo", "1e999", "θ", "\x00", "theta\nn", "# theta",
    "x" * 5000, "theta" + " + theta" * 400, "(" * 200 + "theta" + ")" * 200,
    "-" * 600 + "theta", "theta" + "**theta" * 60,
]
SNIPPETS = [
    "theta", "b", "lam", "theta**2/n", "b**2/n", "1/n", "theta/2 + 1/2", "1/(4*n)",
    "theta*(1 - 1/sqrt(n))", "2*theta**2/n", "theta**2/(n*(n + 2))", "theta**3/n",
    "theta * Beta(n, 1)", "theta * (n + 1)/n * Beta(n, 1)", "theta * Gamma(n*k, 1)/(n*k)",
    "b * Gamma(n, 1)/n", "theta * ChiSquare(n)/n", "lam * n / Gamma(n, 1)",
    "Poisson(n*theta)/n", "Binomial(n, theta)/n", "theta + Normal(0, 1/n)",
    "theta * Gamma(n)", "theta / Beta(n, 1)", "Gamma(n, 1) * Beta(n, 1)",
    "-log(theta) - x/theta", "-log(2*b) - abs(x)/b", "log(lam) - lam*x",
    "-x**2/(2*theta) - log(sqrt(2*pi*theta))", "log(x) - 2*log(theta) - x**2/(2*theta**2)",
    "0", "-oo", "oo", "inf", "1", "", " ", "k", "n",
]
NAMES = ["theta", "b", "lam", "k", "x", "y", "n", "t", "pi", "e", "_a", "class", "a b", "",
         "uniform-max", "my-family", "a", "A", "x" * 70, "__import__"]
texts = st.one_of(
    st.sampled_from(PAYLOADS),
    st.sampled_from(SNIPPETS),
    st.text(max_size=40),
    st.text(alphabet=string.ascii_letters + string.digits + "+-*/().,_ '\"[]{}=:", max_size=60),
    st.builds(lambda piece, k: piece * k, st.sampled_from(["theta+", "(", "x", "é", "\\"]),
              st.integers(1, 700)),
)
numbers = st.one_of(st.integers(-10**20, 10**20), st.floats(allow_nan=True, allow_infinity=True))
scalars = st.one_of(texts, numbers, st.booleans())
VALUES = {
    "name": st.one_of(st.sampled_from(NAMES), texts, numbers),
    "parameter": st.one_of(st.sampled_from(NAMES), texts),
    "domain": st.one_of(st.sampled_from([*DOMAINS, "simplex", "spd", "Positive"]), texts),
    "kind": st.one_of(st.sampled_from([*KINDS, "covariance", "Scale"]), texts),
    "default": st.one_of(numbers, texts, st.booleans()),
    "min_size": st.one_of(st.integers(-5, 10**20), st.integers(1, 50), numbers, texts),
    "constants": st.one_of(
        st.dictionaries(st.one_of(st.sampled_from(NAMES), st.text(max_size=8)), scalars,
                        max_size=3),
        scalars),
    "description": texts,
    "mean": st.one_of(texts, numbers),
    "variance": st.one_of(texts, numbers),
    "log_density": texts,
    "support": st.one_of(st.lists(st.one_of(texts, numbers), max_size=3), texts),
    "variable": st.one_of(st.sampled_from(NAMES), texts),
    "law": texts,
}
TEMPLATES = [tomllib.loads(path.read_text(encoding="utf-8"))
             for path in sorted(DATA.glob("*.toml"))]


@st.composite
def mutated_templates(draw) -> dict:
    """A working family file (tests/families/data) with a few keys removed or replaced."""
    doc = dict(draw(st.sampled_from(TEMPLATES)))
    for key in draw(st.lists(st.sampled_from([*KEYS, "colour"]), min_size=1, max_size=3,
                             unique=True)):
        if key in doc and draw(st.booleans()):
            del doc[key]
        else:
            doc[key] = draw(VALUES.get(key, texts))
    return doc


documents = st.one_of(st.fixed_dictionaries({}, optional={**VALUES, "colour": texts}),
                      mutated_templates())


def toml_string(text: str) -> str:
    """A TOML basic string: control characters, quotes and backslashes escaped."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") \
            if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{toml_string(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def toml_document(doc: dict) -> str:
    return "".join(f"{key} = {toml_value(value)}\n" for key, value in doc.items())


def test_toml_writer_round_trips():
    doc = {"name": 'a"b\\c\n\x7f', "default": -1.5, "min_size": 3, "support": ["0", math.inf],
           "constants": {"k": 2, "a b": "x"}, "law": "é θ", "variance": True}
    assert tomllib.loads(toml_document(doc)) == doc


@settings(max_examples=120, deadline=timedelta(seconds=5),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(doc=documents)
def test_random_documents_load_or_fail_in_one_line(doc):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.toml"
        path.write_text(toml_document(doc), encoding="utf-8")
        try:
            fam = load(path)
        except (ValueError, TypeError) as exc:
            message = str(exc)
            assert message and "\n" not in message and "\r" not in message, message
            assert "Traceback" not in message
            event(f"{type(exc).__name__}")
        else:
            event("loaded")
            assert isinstance(fam, UserFamily)
            assert fam.name == doc["name"] and fam.parameters[0].name == doc["parameter"]
        assert sorted(p.name for p in Path(folder).iterdir()) == ["random.toml"]
    assert not SENTINEL.exists()
    assert not Path("PWNED").exists()


def test_a_loaded_family_keeps_its_text_and_loads_builds_it_again(tmp_path):
    from modelcollapse.families.files import load, loads

    text = ('name = "scale-gamma-three"\nparameter = "theta"\ndomain = "positive"\n'
            'kind = "scale"\nlaw = "theta * Gamma(3*n, 1) / (3*n)"\n')
    (tmp_path / "f.toml").write_text(text)
    family = load(tmp_path / "f.toml")
    assert family.source == text
    again = loads(family.source)
    assert again == family and again.moment_map().variance == family.moment_map().variance
    with pytest.raises(ValueError, match=r"^family file text: is not valid TOML"):
        loads("name = ")
    with pytest.raises(TypeError, match="text must be a str"):
        loads(b"name = 'x'")
