"""Generated hostile JSONL/JSON: every line becomes an article or a per-line failure with a reason.

Random bytes, truncated and deeply nested JSON, huge numbers, NaN/Infinity, lone
surrogates, BOMs, invalid UTF-8, records that are not objects, and wrong types in
every field the reader looks at: nothing may escape the reader or the importer as
an exception, and every failure is a sentence that names its line.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.core.db.store import Store, open_store
from app.core.ingest.importer import import_sources
from app.core.ingest.jsonl_reader import RecordError, iter_jsonl_records
from app.core.ingest.storing import store_articles
from app.core.validation import NewArticle

BOM = b"\xef\xbb\xbf"
HUGE_INT = "9" * 5000  # past Python's 4300-digit limit for reading integers

# --- JSON text, written by hand so it can hold what json.dumps refuses to write -----------------

numbers = st.one_of(
    st.integers().map(str),
    st.integers(min_value=20, max_value=6000).map(lambda n: "1" + "0" * n),  # past 64 bits, past 4300 digits
    st.floats(allow_nan=True, allow_infinity=True).map(lambda f: json.dumps(f)),  # NaN, Infinity, -Infinity
    st.sampled_from(["1e999", "-1e999", "1E400", "-0", "0.0", "1.5", "-1"]),
)
strings = st.one_of(
    st.text(max_size=30).map(json.dumps),
    st.text(min_size=300, max_size=600).map(json.dumps),  # what a reason must not quote whole
    st.sampled_from(['"\\ud800"', '"a\\udfff b"', '"\\u0000"', '"\\ufeff"', '"PERSON"', '"person"', '""', '"   "']),
)
scalars = st.one_of(numbers, strings, st.sampled_from(["true", "false", "null"]))


def _obj(pairs: list[tuple[str, str]]) -> str:
    return "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in pairs) + "}"


values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda items: "[" + ",".join(items) + "]"),
        st.lists(st.tuples(st.text(max_size=8), inner), max_size=4).map(_obj),
    ),
    max_leaves=12,
)
offsets = st.one_of(st.integers(min_value=-3, max_value=60).map(str), numbers, strings, st.just("null"), values)
spans = st.one_of(
    st.lists(st.tuples(offsets, offsets, st.one_of(strings, values)), max_size=4).map(
        lambda items: [_obj([("start", a), ("end", b), ("label", c)]) for a, b, c in items]),
    st.lists(st.tuples(offsets, offsets, strings), max_size=4).map(lambda items: [f"[{a},{b},{c}]" for a, b, c in items]),
    st.lists(values, max_size=3),
).map(lambda items: "[" + ",".join(items) + "]")
TEXT = json.dumps("Hugo Touvron met Meta staff in Paris.")
anything = st.one_of(strings, values)
fields = {name: anything for name in ("title", "url", "id", "status", "answer", "data", "source_kind", "source",
                                      "date", "label", "labels", "entities")}
records = st.fixed_dictionaries(
    {},
    optional={
        "text": st.one_of(st.just(TEXT), st.just(TEXT), anything),
        "spans": st.one_of(spans, values),
        "meta": st.one_of(values, st.fixed_dictionaries({}, optional=fields).map(lambda d: _obj(list(d.items())))),
        **fields,
        "label": st.one_of(spans, values),
    },
).map(lambda d: _obj(list(d.items())))


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


json_lines = st.one_of(
    records,
    values,
    st.tuples(records, st.integers(min_value=0, max_value=200)).map(lambda r: r[0][: r[1]]),  # truncated
    st.integers(min_value=200, max_value=50_000).map(_nested),
    st.integers(min_value=200, max_value=400).map(
        lambda d: '{"text": "abc", "spans": [{"start": 0, "end": 1, "label": "X", "attributes": {"v": '
        + _nested(d) + "}}]}"),
)
encodings = st.sampled_from(["utf-8", "utf-8", "utf-8", "latin-1", "utf-16-le", "utf-16"])


@st.composite
def lines(draw: st.DrawFn) -> bytes:
    if draw(st.integers(0, 5)) == 0:
        return draw(st.binary(max_size=80)).replace(b"\n", b"")
    line = draw(json_lines)
    data = line.encode(draw(encodings), "surrogatepass")
    if draw(st.integers(0, 9)) == 0:
        data = BOM + data
    return data.replace(b"\n", b" ")


files = st.lists(lines(), min_size=1, max_size=8)

BIG_INT_LINE = ('{"text": "Hugo Touvron met Meta staff.", "n": ' + HUGE_INT + "}").encode()


def _write(folder: Path, name: str, content: list[bytes]) -> Path:
    path = folder / name
    path.write_bytes(b"\n".join(content))
    return path


def _nonblank(content: list[bytes]) -> list[int]:
    """Numbers of the lines that hold something (a BOM opening the file is not something)."""
    return [n for n, line in enumerate(content, start=1) if (line.removeprefix(BOM) if n == 1 else line).strip()]


def _is_sentence(reason: str) -> bool:
    return (bool(reason) and reason.rstrip().endswith((".", "?")) and "Traceback" not in reason
            and len(reason) < 400)


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


@pytest.fixture(scope="module")
def shared_store(folder: Path) -> Iterator[Store]:
    store = open_store(folder / "hostile.sqlite")
    yield store
    store.close()


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(content=files)
@example(content=[BIG_INT_LINE])
@example(content=[b'{"text": "abc", "spans": [{"start": 0, "end": 1, "label": "X", "attributes": {"v": '
                  + _nested(300).encode() + b"}}]}"])
def test_every_jsonl_line_is_an_article_or_a_reasoned_failure(folder: Path, shared_store: Store,
                                                              content: list[bytes]) -> None:
    path = _write(folder, "hostile.jsonl", content)
    results = list(iter_jsonl_records(path))

    wanted = _nonblank(content)
    if not wanted:
        assert [r.line for r in results if isinstance(r, RecordError)] == [0]  # "... is empty"
        return
    if any(isinstance(r, RecordError) and r.line == 0 for r in results):  # the whole file refused (UTF-16 BOM)
        assert len(results) == 1 and _is_sentence(results[0].reason)  # type: ignore[union-attr]
        return
    assert len(results) == len(wanted)
    for number, result in zip(wanted, results, strict=True):
        if isinstance(result, RecordError):
            assert result.line == number
            assert result.reason.startswith(f"line {number}: ") and _is_sentence(result.reason), result.reason
        else:
            assert isinstance(result, NewArticle)
    # What the reader accepts, the dataset can store.
    outcomes = store_articles(shared_store, [r for r in results if isinstance(r, NewArticle)])
    assert {o.outcome for o in outcomes} <= {"imported", "duplicate"}


# Slow: a hundred generated files.
@pytest.mark.slow
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(content=files)
@example(content=[BIG_INT_LINE])
def test_a_json_document_never_raises(folder: Path, content: list[bytes]) -> None:
    path = _write(folder, "hostile.json", content)
    for result in iter_jsonl_records(path):
        if isinstance(result, RecordError):
            assert _is_sentence(result.reason), result.reason


# Slow: sixty generated files, each imported.
@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(content=files)
@example(content=[BIG_INT_LINE, b'{"text": "Hugo Touvron met Meta staff in Paris on Monday."}'])
def test_the_importer_goes_on_past_every_hostile_line(folder: Path, shared_store: Store,
                                                      content: list[bytes]) -> None:
    path = _write(folder, "batch.jsonl", content)
    report = import_sources(shared_store, [path])
    assert report.outcomes, "every file ends with at least one outcome"
    for outcome in report.failures:
        assert outcome.source.startswith(str(path)) and _is_sentence(outcome.reason), outcome.reason
    handled = len(report.outcomes) + len(report.skipped)
    assert handled == max(1, len(_nonblank(content))) or any(o.source == str(path) for o in report.failures)


def _nested_list(depth: int) -> list[object]:
    value: list[object] = []
    for _ in range(depth - 1):
        value = [value]
    return value


@pytest.mark.parametrize("depth", [248, 249, 250, 251, 252, 253])
def test_attributes_nested_near_the_writers_limit_are_stored_and_exported_or_refused(
        tmp_path: Path, depth: int) -> None:
    """orjson reads 1024 levels but writes 255: attributes deep enough to pass alone, but not
    inside the span list the dataset caches or the export line, are refused with a reason."""
    from app.core.export.exporter import ExportOptions, export_jsonl

    span = {"start": 0, "end": 4, "label": "ORG", "attributes": {"v": _nested_list(depth)}}
    path = tmp_path / "deep.jsonl"
    path.write_text(json.dumps({"text": "Meta hired staff."}) + "\n"
                    + json.dumps({"text": "Meta cut staff.", "spans": [span]}) + "\n")
    with open_store(tmp_path / "deep.sqlite") as store:
        report = import_sources(store, [path])
        assert report.imported + len(report.failures) == 2, report.outcomes
        for failure in report.failures:
            assert "nested too deeply" in failure.reason, failure.reason
        for fmt in ("native", "spacy", "doccano"):
            summary = export_jsonl(store, tmp_path / f"out-{fmt}.jsonl", ExportOptions(format=fmt))
            assert summary.articles == report.imported
