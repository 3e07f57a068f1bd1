"""Finding points by what is known of them, as the Embedding Projector's search does: the class name,
the index, and every per-point column of the bundle (the generating factors of a colour bundle, the
metadata columns kept by `import-points --metadata`).

Plain text matches case-insensitively anywhere in a value; the index matches only whole (typing 12
finds point 12, not 120 and 312). A regular expression is searched for in each value, ignoring case,
and matches an index only whole. Numbers are matched by the text the panel shows them as
(`number_text`). In plain mode `name<0.2` (also <=, >, >=, =) compares a numeric column instead.

Each column is held as its distinct values and each point's code into them, so a query is tried once
per distinct value (the ten class names, not 60,000 labels)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

CLASS, INDEX = "class", "index"
EVERY_COLUMN = None  # search in: every column
COMPARISON = re.compile(r"^\s*(?P<name>[^<>=]+?)\s*(?P<op><=|>=|<|>|=)\s*(?P<value>[-+0-9.eEinfINFnaN]+)\s*$")
OPERATORS = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal, "=": np.equal}
MAX_QUERY = 200  # characters: longer is no search a person types


def number_text(value: float) -> str:
    """How a number is shown, and so matched: four significant digits."""
    return f"{value:.4g}"


@dataclass(frozen=True)
class Column:
    """A per-point column: its distinct texts, each point's code into them, and its values when numeric."""
    name: str
    values: tuple[str, ...]
    codes: np.ndarray
    numbers: np.ndarray | None = None  # float per point

    def text(self, index: int) -> str:
        return self.values[int(self.codes[index])]


def text_column(name: str, texts) -> Column:
    """A column of text values (numeric when every value parses as a finite number)."""
    distinct, codes = np.unique(np.asarray(list(texts), dtype=object), return_inverse=True)
    values = tuple(str(v) for v in distinct)
    numbers = None
    try:
        parsed = np.array([float(v) for v in values], np.float64)
        if values and np.isfinite(parsed).all():
            numbers = parsed[codes]
    except ValueError:
        pass
    return Column(name, values, codes.astype(np.int64).reshape(-1), numbers)


def number_column(name: str, numbers: np.ndarray) -> Column:
    distinct, codes = np.unique(np.asarray(numbers, np.float64), return_inverse=True)
    return Column(name, tuple(number_text(v) for v in distinct), codes.astype(np.int64).reshape(-1),
                  np.asarray(numbers, np.float64))


def bundle_columns(bundle) -> list[Column]:
    """The class, then the factors (named by model.json's factor_names), then the metadata columns; a
    metadata column whose values are the class names again (the label column) is left out."""
    names = tuple(str(n) for n in bundle.class_names)
    columns = [Column(CLASS, names, np.asarray(bundle.labels, np.int64))]
    factors = getattr(bundle, "factors", None)
    if factors is not None:
        for position, name in enumerate(bundle.meta.get("factor_names", [])):
            columns.append(number_column(str(name), factors[:, position]))
    for name, texts in (getattr(bundle, "metadata", None) or {}).items():
        if texts == [names[label] for label in columns[0].codes]:
            continue
        columns.append(text_column(name, texts))
    return columns


@dataclass(frozen=True)
class SearchResult:
    query: str = ""
    matches: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # point indices, ascending
    error: str | None = None  # the query cannot be used (a bad regular expression): one line
    per_class: tuple[tuple[int, int], ...] = ()  # (class, matches), most first
    why: dict = field(default_factory=dict)  # point -> (column, value) that matched, for the listed ones

    @property
    def count(self) -> int:
        return int(len(self.matches))


def _value_hits(column: Column, test) -> np.ndarray:
    return np.fromiter((bool(test(v)) for v in column.values), bool, len(column.values))


def _text_test(query: str, regex: bool):
    """A predicate on one text value, or an error line for a regular expression that does not compile."""
    if regex:
        try:
            pattern = re.compile(query, re.IGNORECASE)
        except re.error as exc:
            return None, f"not a regular expression: {exc}"
        return pattern.search, None
    folded = query.casefold()
    return (lambda value: folded in value.casefold()), None


def _index_hits(query: str, regex: bool, count: int) -> np.ndarray:
    hits = np.zeros(count, bool)
    if regex:
        pattern = re.compile(query, re.IGNORECASE)
        hits[[i for i in range(count) if pattern.fullmatch(str(i))]] = True
    else:
        text = query.strip().lstrip("#")
        if text.isdigit() and int(text) < count:
            hits[int(text)] = True
    return hits


def _comparison(query: str, columns: list[Column]):
    """(column, operator, number) when the query compares a numeric column, else None."""
    found = COMPARISON.match(query)
    if found is None:
        return None
    name = found["name"].strip().casefold()
    column = next((c for c in columns if c.numbers is not None and c.name.casefold() == name), None)
    try:
        value = float(found["value"])
    except ValueError:
        return None
    return None if column is None else (column, OPERATORS[found["op"]], value)


def search(columns: list[Column], count: int, query: str, *, regex: bool = False, within: str | None = EVERY_COLUMN,
           listed: int = 8) -> SearchResult:
    """The points `query` finds among `count` points, in `within` (a column's name, INDEX, or every
    column); `listed`: how many of the first matches say which column matched and with what."""
    if not query.strip():
        return SearchResult(query)
    if len(query) > MAX_QUERY:
        return SearchResult(query, error=f"a search of at most {MAX_QUERY} characters")
    test, error = _text_test(query, regex)
    if error is not None:
        return SearchResult(query, error=error)
    shown = [c for c in columns if within in (EVERY_COLUMN, c.name)]
    hits = np.zeros(count, bool)
    matched_by: list[tuple[Column, np.ndarray]] = []  # a column and its per-point hits
    compared = None if regex else _comparison(query, shown)
    if compared is not None:
        column, operator, value = compared
        hits = operator(column.numbers, value)
        matched_by.append((column, hits))
    else:
        if within in (EVERY_COLUMN, INDEX):
            hits |= _index_hits(query, regex, count)
        for column in shown:
            point_hits = _value_hits(column, test)[column.codes]
            if point_hits.any():
                matched_by.append((column, point_hits))
                hits |= point_hits
    matches = np.flatnonzero(hits)
    labels = columns[0].codes[matches] if columns and columns[0].name == CLASS else np.zeros(0, np.int64)
    classes, counts = np.unique(labels, return_counts=True)
    order = np.lexsort((classes, -counts))
    per_class = tuple((int(classes[i]), int(counts[i])) for i in order)
    why = {}
    for point in matches[:listed].tolist():
        found = next(((c.name, c.text(point)) for c, h in matched_by if h[point]), (INDEX, str(point)))
        why[point] = found
    return SearchResult(query, matches, None, per_class, why)
