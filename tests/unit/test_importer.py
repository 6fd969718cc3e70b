"""The import pipeline end to end: a real HTTP server, real files, a real SQLite dataset."""

from __future__ import annotations

import os
import threading
import time
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import text

from app.core.cancel import CancelToken
from app.core.ingest.extraction import ExtractOptions
from app.core.ingest.fetch_options import FetchOptions
from app.core.ingest.importer import ImportOptions, import_sources
from app.core.ops import library

FAST = ImportOptions(fetch=FetchOptions(timeout=3.0), workers=1)


def outcome_of(report, source: str):
    matches = [o for o in report.outcomes if o.source == source]
    assert len(matches) == 1, f"expected one outcome for {source}, got {report.outcomes}"
    return matches[0]


def test_url_article_is_imported_with_metadata(store, http_server, sample_text):
    url = http_server.url("/article.html")
    report = import_sources(store, [url], FAST)
    o = outcome_of(report, url)
    assert o.outcome == "imported", o.reason
    art = library.get_article(store, o.article_id)
    assert "Hugo Touvron" in art.text
    assert "Mistral" in art.text
    # Page furniture around the article stays out of the stored text.
    for noise in ("Privacy policy", "Sign in", "Accept all cookies", "Most read"):
        assert noise not in art.text
    assert art.title.startswith("High turnover hits Meta")
    assert art.source_kind == "url" and art.source == url
    assert art.language == "en"
    # The downloaded bytes are kept (compressed) for a deliberate re-extraction.
    with store.begin() as conn:
        extractor = conn.execute(text("SELECT extractor, extractor_version FROM article")).one()
    assert extractor[0] == "trafilatura" and extractor[1]
    from app.core.ingest.storing import source_bytes

    assert b"<article" in source_bytes(store, o.article_id)


@pytest.mark.slow
def test_bad_urls_fail_with_reasons_and_the_batch_goes_on(store, http_server):
    bad = {
        "/404": "404",
        "/500": "500",
        "/redirect-loop": "redirect",
        "/doc.pdf": "PDF",
        "/fake.html": "PDF",
        "/image.png": "PNG",
        "/empty": "empty",
        "/js-only": "JavaScript",
        "/hang": "3 s",
    }
    urls = [http_server.url(p) for p in bad] + [http_server.url("/article.html")]
    closed = "http://127.0.0.1:9/nothing-listens-here"
    report = import_sources(store, [*urls, closed, "ftp://example.org/file"], FAST)
    for path, word in bad.items():
        o = outcome_of(report, http_server.url(path))
        assert o.outcome == "failed"
        assert word.lower() in o.reason.lower(), (path, o.reason)
        assert "Traceback" not in o.reason and "Error(" not in o.reason
    assert outcome_of(report, http_server.url("/article.html")).outcome == "imported"
    assert "connect" in outcome_of(report, closed).reason.lower()
    assert "http" in outcome_of(report, "ftp://example.org/file").reason
    assert library.count_articles(store) == 1
    # Every item is in the import log with its reason.
    with store.begin() as conn:
        logged = conn.execute(text("SELECT count(*) FROM import_log WHERE outcome = 'failed'")).scalar_one()
    assert logged == len(bad) + 2


@pytest.mark.slow
def test_trickling_server_is_cut_at_the_deadline(store, http_server):
    url = http_server.url("/trickle")
    started = time.monotonic()
    report = import_sources(store, [url], ImportOptions(fetch=FetchOptions(timeout=2.0), workers=1))
    assert time.monotonic() - started < 15
    assert outcome_of(report, url).outcome == "failed"
    assert "2 s" in outcome_of(report, url).reason


def test_wrong_charset_is_decoded_and_reported(store, http_server):
    http_server.add_route(
        "/cp1252-article",
        body=("<html><body><article><h1>Café report</h1>"
              + "".join(f"<p>Paragraph {i}: the café’s owner said “déjà vu” about the ﬁnal offer.</p>"
                        for i in range(12))
              + "</article></body></html>").encode("cp1252", errors="replace"),
        headers={"Content-Type": "text/html; charset=utf-8"},
    )
    url = http_server.url("/cp1252-article")
    o = outcome_of(import_sources(store, [url], FAST), url)
    assert o.outcome == "imported", o.reason
    assert "guessed" in o.reason
    art = library.get_article(store, o.article_id)
    assert "café’s owner said “déjà vu”" in art.text


def test_feed_and_sitemap_expand_into_articles(store, http_server):
    feed = http_server.url("/feed.xml")
    report = import_sources(store, [feed], FAST)
    assert report.imported == 3, report.outcomes
    titles = {library.get_article(store, o.article_id).title for o in report.outcomes}
    assert any("Priya Raman" in t for t in titles)
    # The sitemap lists the same three: all duplicates, nothing stored twice.
    again = import_sources(store, [http_server.url("/sitemap.xml")], FAST)
    assert again.duplicates == 3 and again.imported == 0
    assert all("Already in the dataset" in o.reason for o in again.outcomes)
    assert library.count_articles(store) == 3


def test_same_text_under_another_url_is_a_duplicate(store, http_server):
    first = import_sources(store, [http_server.url("/article.html")], FAST)
    assert first.imported == 1
    dup = import_sources(store, [http_server.url("/redirect"), http_server.url("/article.html")], FAST)
    assert dup.imported == 0 and dup.duplicates == 2
    assert library.count_articles(store) == 1


def test_folder_import_sniffs_bytes_not_names(store, tmp_path, sample_text):
    folder = tmp_path / "drop"
    (folder / "nested").mkdir(parents=True)
    title, _, body = sample_text.partition("\n")
    (folder / "story.txt").write_text(sample_text, encoding="utf-8")
    (folder / "nested" / "page.html").write_text(
        "<html lang='en'><head><title>Nested page</title></head><body><article>"
        + "".join(f"<p>{p}</p>" for p in body.split("\n\n")[1:] if p.strip())
        + "</article></body></html>",
        encoding="utf-8",
    )
    (folder / "notes.md").write_text("# A markdown note\n\nWorld Bank economists met IMF staff in Paris.\n",
                                     encoding="utf-8")
    (folder / "scan.html").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    (folder / "photo.htm").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(200))
    with zipfile.ZipFile(folder / "archive.html", "w") as zf:
        zf.writestr("a.txt", "hello")
    (folder / "noise.txt").write_bytes(os.urandom(4096))
    (folder / "ignored.docx").write_bytes(b"PK\x03\x04")
    (folder / "latin1.txt").write_bytes("Überschrift\nDie Bürgermeisterin sprach über Straßen.".encode("latin-1"))

    report = import_sources(store, [folder], FAST)
    by_name = {Path(o.source).name: o for o in report.outcomes}
    assert set(by_name) == {"story.txt", "page.html", "notes.md", "scan.html", "photo.htm", "archive.html",
                            "noise.txt", "latin1.txt"}
    assert by_name["story.txt"].outcome == "imported"
    assert by_name["page.html"].outcome == "imported", by_name["page.html"].reason
    assert by_name["notes.md"].outcome == "imported"
    assert "PDF" in by_name["scan.html"].reason
    assert "PNG" in by_name["photo.htm"].reason
    assert "ZIP" in by_name["archive.html"].reason
    assert by_name["noise.txt"].outcome == "failed"
    assert by_name["latin1.txt"].outcome == "imported" and "guessed" in by_name["latin1.txt"].reason
    story = library.get_article(store, by_name["story.txt"].article_id)
    assert story.title == title.strip()
    assert story.text.startswith("Source Cryptopolitan")
    md = library.get_article(store, by_name["notes.md"].article_id)
    assert md.title == "A markdown note" and md.text == "World Bank economists met IMF staff in Paris."
    latin = library.get_article(store, by_name["latin1.txt"].article_id)
    assert latin.text == "Die Bürgermeisterin sprach über Straßen."


def test_oversized_html_file_is_refused_before_extraction(store, tmp_path):
    big = tmp_path / "big.html"
    big.write_text("<html><body>" + "<p>word </p>" * 200_000 + "</body></html>")
    opts = ImportOptions(extract=ExtractOptions(max_input_bytes=1_000_000), workers=1)
    o = outcome_of(import_sources(store, [big], opts), str(big))
    assert o.outcome == "failed" and "MB" in o.reason


def test_missing_path_and_unknown_type(store, tmp_path):
    missing = tmp_path / "nope.html"
    odd = tmp_path / "table.csv"
    odd.write_text("a,b\n")
    report = import_sources(store, [missing, odd], FAST)
    assert "No such file" in outcome_of(report, str(missing)).reason
    assert "Unsupported file type" in outcome_of(report, str(odd)).reason


def test_progress_reports_every_item_and_cancel_keeps_finished_work(store, http_server):
    calls = []
    urls = [http_server.url(f"/news/{i}.html") for i in (1, 2, 3)]
    import_sources(store, urls, FAST, progress=lambda d, t, item, o: calls.append((d, t, item, o.outcome)))
    assert [c[0] for c in calls] == [1, 2, 3]
    assert all(c[1] == 3 for c in calls)
    assert {c[2] for c in calls} == set(urls)

    # Cancel while three downloads hang: the call returns promptly, nothing half-written.
    token = CancelToken()
    hang = [http_server.url("/hang") + f"?n={i}" for i in range(3)]
    threading.Timer(0.5, token.cancel).start()
    started = time.monotonic()
    report = import_sources(store, hang, ImportOptions(fetch=FetchOptions(timeout=60), workers=1), cancel=token)
    assert time.monotonic() - started < 10
    assert report.cancelled
    assert library.count_articles(store) == 3


def test_jsonl_import_keeps_good_lines_and_reports_bad_ones(store, tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(
        b'\xef\xbb\xbf{"text": "Mistral raised money in Paris.", "spans": [{"start": 0, "end": 7, "label": "ORG"}]}\r\n'
        b'{"text": "broken", \n'
        b'{"text": "Prodigy rejected this one.", "answer": "reject"}\n'
        b'{"text": "Out of range.", "spans": [{"start": 4, "end": 99, "label": "ORG"}]}\n'
        b'{"text": "Meta hired Hugo.", "label": [[0, 4, "ORG"], [11, 15, "PERSON"]]}\n'
    )
    report = import_sources(store, [path], FAST)
    assert report.imported == 2
    failed = {o.source: o.reason for o in report.failures}
    assert set(failed) == {f"{path}:2", f"{path}:4"}
    assert "JSON" in failed[f"{path}:2"] and "past the end" in failed[f"{path}:4"]
    assert len(report.skipped) == 1 and "reject" in report.skipped[0]
    spans = {(s.label, s.text) for r in library.list_articles(store) for s in library.get_article(store, r.id).spans}
    assert spans == {("ORG", "Mistral"), ("ORG", "Meta"), ("PERSON", "Hugo")}


def test_jsonl_record_with_an_impossible_url_port_is_stored_without_harming_the_batch(store, tmp_path):
    # urllib raises on ports past 65535; that once aborted the whole batch with a traceback.
    path = tmp_path / "ports.jsonl"
    path.write_text(
        '{"text": "Mistral raised money in Paris.", "url": "https://example.org:99999/a"}\n'
        '{"text": "Meta hired Hugo in London.", "url": "https://example.org:8080/b?utm_source=x"}\n',
        encoding="utf-8",
    )
    report = import_sources(store, [path], FAST)
    assert report.imported == 2, report.outcomes
    with store.begin() as conn:
        stored = dict(conn.execute(text("SELECT url, canonical_url FROM article")).all())
    assert stored == {"https://example.org:99999/a": None, "https://example.org:8080/b?utm_source=x": "https://example.org:8080/b"}


def test_a_malformed_web_address_fails_with_a_reason_and_the_batch_goes_on(store, tmp_path):
    page = tmp_path / "note.txt"
    page.write_text("A title\nMeta hired Hugo in London, the company said on Tuesday.", encoding="utf-8")
    report = import_sources(store, ["http://[::1", page], FAST)
    assert report.imported == 1
    assert "not a valid web address" in outcome_of(report, "http://[::1").reason


def test_empty_jsonl_file_is_named_without_a_line_number(store, tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("\n\n")
    report = import_sources(store, [path], FAST)
    assert [o.source for o in report.failures] == [str(path)]
