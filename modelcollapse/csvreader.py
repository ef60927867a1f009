"""One reader for the CSV tables users give the package: the trajectories of ``infer DATA.csv``
(:mod:`modelcollapse.inference.data`) and the tables of the real-data study
(:mod:`modelcollapse.studies.realdata.tables`).

The rules, the same for both: UTF-8 (a byte-order mark is allowed); blank lines are skipped;
the first non-blank line is the header (names stripped of surrounding spaces); a data row
shorter than the header is padded with empty cells (missing values, reported by the caller
with the column's name), a longer one raises :class:`CsvShapeError`. Rows keep their place in
the file for messages: ``row`` counts lines after the header (row 1 is line 2 when the header
is line 1), ``line`` is the line of the file. Cells are returned as written (text); each caller
checks and converts them; :func:`is_number_text` says whether a cell writes a number the
way the command line takes it (ASCII, no ``_`` separators).

>>> import os, tempfile
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = os.path.join(tmp, "data.csv")
...     with open(path, "w") as fh:
...         _ = fh.write("t, n ,estimate\\n0,20,1.0\\n\\n1,40\\n")
...     table = read_csv(path)
>>> table.header, table.rows, table.lines
(('t', 'n', 'estimate'), (1, 3), (2, 4))
>>> table.column("estimate")
['1.0', '']
"""

from __future__ import annotations

import csv
import errno
import os
import re
import stat
from dataclasses import dataclass

__all__ = ["CsvTable", "CsvShapeError", "read_csv", "is_number_text", "NUMBER_FORMS"]

# float() alone also takes look-alike digits (float("１.０") == 1.0) and "_" separators
# (float("1_0") == 10.0), which the command line's number options and the expression language
# refuse; [0-9], not \d, which matches every Unicode digit. inf and nan are numbers here: the
# callers refuse them with their own message.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
                     r"|[+-]?(?:inf|infinity|nan)", re.IGNORECASE)
#: how a number cell may be written, for messages
NUMBER_FORMS = "ASCII decimal numbers such as 20, -0.5, 1e3 (no '_' separators)"


@dataclass(frozen=True)
class CsvTable:
    """The text of a CSV file: ``header`` (empty for an empty file), ``records`` (one tuple of
    cells per data row, as long as the header), and for each record its ``rows`` and
    ``lines`` number (see the module docstring)."""

    name: str
    header: tuple[str, ...]
    records: tuple[tuple[str, ...], ...]
    rows: tuple[int, ...]
    lines: tuple[int, ...]

    def column(self, name: str) -> list[str]:
        """The cells of the (first) column called ``name``."""
        j = self.header.index(name)
        return [record[j] for record in self.records]


class CsvShapeError(ValueError):
    """A data row with more cells than the header has columns.

    Attributes ``name`` (of the file), ``row``, ``line``, ``cells`` and ``columns``.
    """

    def __init__(self, name: str, row: int, line: int, cells: int, columns: int) -> None:
        self.name, self.row, self.line, self.cells, self.columns = name, row, line, cells, columns
        super().__init__(f"{name}: row {row}: {cells} cells for {columns} columns")


def read_csv(path: str | os.PathLike[str]) -> CsvTable:
    """Read the CSV file ``path`` (see the module docstring for the rules).

    Raises
    ------
    CsvShapeError
        A data row has more cells than the header.
    OSError, UnicodeDecodeError, csv.Error
        The file cannot be opened or decoded, or is not CSV; the caller words the message
        (a missing file is not the same mistake for every command). Only a regular file is
        read: a folder raises :class:`IsADirectoryError`, a FIFO or device (which could block
        or never end) an :class:`OSError` saying it is not a regular file.
    """
    name = os.path.basename(os.fspath(path))
    header: tuple[str, ...] = ()
    records, rows, lines = [], [], []
    with _open_regular(path) as fh:
        reader = csv.reader(fh)
        header_line = 0
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if not header:
                header, header_line = tuple(cell.strip() for cell in record), reader.line_num
                continue
            row = reader.line_num - header_line
            if len(record) > len(header):
                raise CsvShapeError(name, row, reader.line_num, len(record), len(header))
            records.append(tuple(record) + ("",) * (len(header) - len(record)))
            rows.append(row)
            lines.append(reader.line_num)
    return CsvTable(name, header, tuple(records), tuple(rows), tuple(lines))


def is_number_text(cell: str) -> bool:
    """Whether the cell (surrounding spaces aside) writes a number: ASCII digits with an
    optional sign, decimal point and exponent, or inf / nan.

    >>> [is_number_text(c) for c in (" 1.0 ", "1e3", "-.5", "inf", "１.０", "1_0", "0x10")]
    [True, True, True, True, False, False, False]
    """
    return _NUMBER.fullmatch(cell.strip()) is not None


def _open_regular(path: str | os.PathLike[str]):
    """``path`` opened as UTF-8 text, if it is a regular file. Opened without blocking (a
    FIFO would wait for a writer), then checked on the open descriptor (no race)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", os.fspath(path))
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, "not a regular file (a FIFO, socket or device)",
                          os.fspath(path))
        os.set_blocking(fd, True)
        return open(fd, newline="", encoding="utf-8-sig", closefd=True)  # noqa: SIM115
    except BaseException:
        os.close(fd)
        raise
