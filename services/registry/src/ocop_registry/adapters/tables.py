"""Reading uploaded registers row by row (CSV or XLSX) without loading them whole."""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl

Row = dict[str, str]


class UnreadableFile(ValueError):
    """The upload is not a CSV/XLSX table this service can read."""


def _header(name: Any) -> str:
    # NFC: a Vietnamese header ("Ngày đăng ký") typed in decomposed form names the same column.
    return "_".join(unicodedata.normalize("NFC", str(name or "")).strip().lower().split())


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_rows(path: Path, kind: str) -> Iterator[Row]:
    """Yield each data row as {column: text}; column names lower-cased, spaces → '_'."""
    if kind == "csv":
        yield from _csv_rows(path)
    elif kind == "xlsx":
        yield from _xlsx_rows(path)
    else:
        raise UnreadableFile(f"unsupported file type {kind!r}; send .csv or .xlsx")


def _csv_rows(path: Path) -> Iterator[Row]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        sample = handle.read(4096)
        handle.seek(0)
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(handle, dialect)
        header = next(reader, None)
        if not header:
            raise UnreadableFile("the file is empty (no header row)")
        names = [_header(h) for h in header]
        for values in reader:
            if any(v.strip() for v in values):
                yield {n: v.strip() for n, v in zip(names, values, strict=False) if n}


def _xlsx_rows(path: Path) -> Iterator[Row]:
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a broken file
        raise UnreadableFile(f"not a readable .xlsx workbook: {exc}") from exc
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if not header:
            raise UnreadableFile("the first sheet is empty (no header row)")
        names = [_header(h) for h in header]
        for values in rows:
            cells = [_cell(v) for v in values]
            if any(cells):
                yield {n: c for n, c in zip(names, cells, strict=False) if n}
    finally:
        book.close()
