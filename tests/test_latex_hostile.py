"""No injected LaTeX: hostile text is refused by the expression language (API and CLI: exit 2,
one line, nothing written), and any text that does reach a LaTeX file prints as itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from modelcollapse.cli import main
from modelcollapse.schedules import Schedule
from modelcollapse.theory.latex import latex_escape
from tests.test_latex_paper import compile_tex

#: hostile schedules: comments and second lines, TeX commands, look-alikes that Python would
#: NFKC-normalise into accepted names or digits, invisible and control characters, huge text
HOSTILE = [
    "n0*t\n# \\immediate\\write18{rm -rf ~}",
    "n0\n\\input{/etc/passwd}",
    "n0 # comment",
    "n0*t#",
    "\\immediate\\write18{touch pwned}",
    "\\input{/etc/passwd}",
    "n0}{\\input{/etc/passwd}",
    "}{",
    "n0*t\r\n%",
    "n0\r",
    "n0*t\n",
    "\nn0",
    "(n0\n+ t)",
    "\uff4e0*\uff54",  # fullwidth n0*t
    "n0*\uff54",
    "\uff4e\uff10",  # fullwidth n and digit zero
    "n\u2080*t",  # subscript zero: NFKC gives n0
    "n0*t**\u00b2",  # superscript two
    "n0*\U0001d7d0",  # mathematical bold digit two
    "n0*\u0661",  # Arabic-indic digit one
    "n0*t\u200b",  # zero-width space
    "\u200bn0",
    "n0*t\u202e",  # right-to-left override
    "n0\u2066*t",  # left-to-right isolate
    "n0*t\ufeff",  # byte-order mark
    "n0*t\u00a0",  # no-break space
    "n0*t\u2028",  # line separator
    "n0*t\x85",  # next line
    "n0\x00",
    "\x00",
    "n0*t\x1b[31m",  # ANSI escape
    "n0\t*t",
    "n0*t\x0c",
    "n0*t\x7f",
    "n0\\",
    "n0*t" + "\n" * 1000,
    "n0*(" + "t+" * 100_000 + "t)",  # very long
    "n0 & t",
    "$n0$",
    "n0^^5cinput",
]


def _first_bad(text: str) -> int:
    """1-based column of the first character outside printable ASCII, or '#', or '\\'."""
    return next(i for i, c in enumerate(text, 1) if not " " <= c <= "~" or c in "#\\")


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_schedule_refused_by_the_api(text: str) -> None:
    with pytest.raises(ValueError) as info:
        Schedule(text, n0=10)
    message = str(info.value)
    assert "\n" not in message and "allowed" in message
    assert message.isascii() and message.isprintable()  # the terminal shows code points
    if len(text) <= 500 and any(not " " <= c <= "~" or c in "#\\" for c in text):
        assert f"at column {_first_bad(text)} is not allowed in schedule" in message


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_schedule_refused_by_the_cli(text: str, tmp_path: Path, capsys) -> None:
    status = main(["derive", "gaussian-variance", "--schedule", text, "--T", "5",
                   "--format", "latex", "--out", str(tmp_path / "paper.tex")])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.err.startswith("error: ") and captured.err.count("\n") == 1
    assert "Traceback" not in captured.err and captured.out == ""
    assert list(tmp_path.iterdir()) == []  # nothing written, not even a temporary file


def test_law_text_of_a_family_file_refuses_look_alikes(tmp_path: Path, capsys) -> None:
    family = tmp_path / "lap.toml"
    family.write_text('name = "lap"\nparameter = "b"\ndomain = "positive"\nkind = "scale"\n'
                      'law = "\uff42 * Gamma(n, 1) / n"\n', encoding="utf-8")
    assert main(["derive", str(family), "--T", "3"]) == 2
    err = capsys.readouterr().err
    assert "U+FF42 (FULLWIDTH LATIN SMALL LETTER B) at column 1" in err
    assert err.count("\n") == 1


# -- escaping ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("\\", r"\textbackslash{}"), ("{", r"\{"), ("}", r"\}"), ("$", r"\$"), ("&", r"\&"),
        ("#", r"\#"), ("%", r"\%"), ("_", r"\_"), ("^", r"\textasciicircum{}"),
        ("~", r"\textasciitilde{}"), ("<", r"\textless{}"), (">", r"\textgreater{}"),
        ("|", r"\textbar{}"), ("a\nb", "a b"), ("a\r\n%", r"a  \%"), ("\x00", " "),
        ("\u202e", " "), ("\u200b", " "), ("\uff4e", "[U+FF4E]"), ("n0*t**1.5", "n0*t**1.5"),
    ],
)
def test_latex_escape(text: str, escaped: str) -> None:
    assert latex_escape(text) == escaped


def test_escaped_text_has_no_line_break_and_balanced_braces() -> None:
    text = "".join(chr(c) for c in range(0, 0x250))
    out = latex_escape(text)
    assert "\n" not in out and "\r" not in out and out.isascii()
    assert re.sub(r"\\[{}]", "", out).count("{") == re.sub(r"\\[{}]", "", out).count("}")
    assert "^^" not in out  # no TeX ^^ notation can form


#: TeX that turns each escape back into its character and writes the macro's text to a file
_LITERAL = r"""
\makeatletter
\newwrite\literal
\immediate\openout\literal=literal.txt
\begingroup
\def\text#1{#1}\def\textbackslash#1{\@backslashchar}\def\{{\@charlb}\def\}{\@charrb}%
\def\${\string$}\def\&{\string&}\def\#{\string##}\def\%{\@percentchar}\def\_{\string_}%
\def\textasciicircum#1{\string^}\def\textasciitilde#1{\string~}\def\textless#1{<}%
\def\textgreater#1{>}\def\textbar#1{|}%
\immediate\write\literal{\evilFamilyTitle}%
\endgroup
\immediate\closeout\literal
\makeatother
"""


def _toml_string(text: str) -> str:
    """A TOML basic string holding ``text`` exactly."""
    out = []
    for c in text:
        if c in '"\\':
            out.append("\\" + c)
        elif " " <= c <= "~":
            out.append(c)
        else:
            out.append(f"\\u{ord(c):04X}")
    return '"' + "".join(out) + '"'


def test_family_file_text_prints_as_itself(tmp_path: Path, capsys) -> None:
    """A family file's description full of TeX (``\\input``, ``\\write18``, ``^^5c``, ``%``,
    a line break) compiles, with shell escape on, to its own text: nothing is read, nothing is
    run, and TeX reads the macro back as exactly the escaped text."""
    description = ("\\input{/etc/passwd} \\immediate\\write18{touch pwned} 100% $x$ #1 & a_b "
                   "^^5cinput ~ }{ <|> \\def\\x{y}\nsecond line \\end{document} \x01 \uff4e \"")
    family = tmp_path / "evil.toml"
    family.write_text('name = "evil"\nparameter = "b_1"\ndomain = "positive"\nkind = "scale"\n'
                      f'law = "b_1 * Gamma(n, 1) / n"\ndescription = {_toml_string(description)}\n',
                      encoding="ascii")
    assert main(["derive", str(family), "--T", "4", "--format", "latex", "--out",
                 str(tmp_path / "evil.tex"), "--macro-prefix", "evil", "--json"]) == 0
    capsys.readouterr()
    macros = (tmp_path / "evil-macros.tex").read_text()
    assert "\\newcommand{\\evilFamilyTitle}" in macros
    proc = compile_tex(tmp_path, "Title: \\evilFamilyTitle. $\\evilStepLaw$\n\\input{evil.tex}"
                       + _LITERAL, preamble="\\input{evil-macros.tex}\n",
                       options=["-shell-escape"])
    log = (tmp_path / "paper.log").read_text(errors="replace")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert not re.search(r"^! ", log, flags=re.M)
    assert "(/etc/passwd" not in log and "runsystem(" not in log
    assert not (tmp_path / "pwned").exists()
    assert (tmp_path / "paper.pdf").stat().st_size > 1000
    title = " ".join(description.split())  # what the family keeps as its title
    expected = "".join(c if " " <= c <= "~" else (f"[U+{ord(c):04X}]" if c.isprintable()
                                                  else " ") for c in title)
    written = (tmp_path / "literal.txt").read_text()
    assert " ".join(written.split()) == " ".join(expected.split())
    assert "\\input{/etc/passwd}" in written and "^^5cinput" in written
