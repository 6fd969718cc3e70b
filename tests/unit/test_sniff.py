"""Content sniffing and text decoding."""

from __future__ import annotations

import dataclasses
import random

import pytest

from app.core.ingest.sniff import DecodedText, UndecodableError, decode_text, sniff_binary
from tests.http_server import CP1252_TEXT, build_gzip_bomb, build_pdf, build_png

# -- sniff_binary ----------------------------------------------------------------------


@pytest.mark.parametrize("data, name", [
    (build_pdf(), "a PDF document"),
    (b"\n%PDF-1.7\n...", "a PDF document"),
    (build_png(), "a PNG image"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "a JPEG image"),
    (b"GIF89a\x01\x00\x01\x00", "a GIF image"),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "a WebP image"),
    (b"PK\x03\x04\x14\x00\x00\x00", "a ZIP archive"),
    (build_gzip_bomb(1024 * 1024, b"\0"), "a gzip archive"),
    (b"\x7fELF\x02\x01\x01\x00", "a program file"),
])
def test_magic_bytes(data: bytes, name: str) -> None:
    assert sniff_binary(data) == name


def test_random_bytes_are_binary() -> None:
    assert sniff_binary(random.Random(1).randbytes(4096)) == "binary data"


def test_many_control_bytes_are_binary() -> None:
    data = (b"abc\x01\x02\x03\x04def" * 300).replace(b"\x00", b"")
    assert sniff_binary(data) == "binary data"


@pytest.mark.parametrize("data", [
    b"",
    b"<!DOCTYPE html><html><body><p>Hello</p></body></html>",
    "Plain text with caf\u00e9 and \u201cquotes\u201d.\n\tIndented\r\n\x0c".encode(),
    CP1252_TEXT.encode("cp1252"),
    "\ufeffUTF-16 text with a BOM".encode("utf-16-le"),
    "UTF-16 big endian".encode("utf-16"),  # the codec writes a BOM
    b"\x1b[31mred log line\x1b[0m\n" * 20,
    b"MZ is also how a sentence about Mozambique could start.",
])
def test_text_is_not_binary(data: bytes) -> None:
    assert sniff_binary(data) is None


def test_only_the_first_4kb_are_examined() -> None:
    assert sniff_binary(b"a" * 5000 + b"\x00" * 100) is None


# -- decode_text -------------------------------------------------------------------------


def test_plain_utf8() -> None:
    assert decode_text("Grüße, 東京".encode()) == DecodedText("Grüße, 東京", "utf_8", False)


def test_empty() -> None:
    assert decode_text(b"").text == ""


def test_result_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        decode_text(b"x").text = "y"  # type: ignore[misc]


@pytest.mark.parametrize("bom, codec, encoding", [
    (b"\xef\xbb\xbf", "utf-8", "utf_8"),
    (b"\xff\xfe", "utf-16-le", "utf_16_le"),
    (b"\xfe\xff", "utf-16-be", "utf_16_be"),
])
def test_bom_is_honoured_and_stripped(bom: bytes, codec: str, encoding: str) -> None:
    text = "Ærø café “news”"
    decoded = decode_text(bom + text.encode(codec), declared="iso-8859-1")  # BOM beats the header
    assert decoded.text == text and decoded.encoding == encoding and not decoded.guessed


def test_declared_charset_is_used() -> None:
    data = "Привет, мир. Новости дня.".encode("cp1251")
    decoded = decode_text(data, "windows-1251")
    assert decoded.text == "Привет, мир. Новости дня." and not decoded.guessed


def test_meta_charset_in_the_document_is_used() -> None:
    data = b'<html><head><meta charset="windows-1251"></head><body>' + "Новости".encode("cp1251")
    decoded = decode_text(data)
    assert "Новости" in decoded.text and decoded.encoding == "cp1251"


def test_meta_http_equiv_is_used() -> None:
    data = (b'<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-15">'
            + "Prix: 5 €".encode("iso-8859-15"))
    assert "5 €" in decode_text(data).text


def test_xml_declaration_is_used() -> None:
    data = b'<?xml version="1.0" encoding="iso-8859-1"?><rss><title>' + "Málaga".encode("latin-1") + b"</title></rss>"
    assert "Málaga" in decode_text(data).text


def test_latin1_label_reads_windows_1252_like_browsers() -> None:
    assert decode_text(b"\x93Quoted\x94", "iso-8859-1").text == "“Quoted”"


def test_wrong_utf8_declaration_falls_back_to_cp1252() -> None:
    decoded = decode_text(f"<p>{CP1252_TEXT}</p>".encode("cp1252"), "utf-8")
    assert decoded.text == f"<p>{CP1252_TEXT}</p>"
    assert decoded.guessed and decoded.encoding == "cp1252"


def test_utf8_declared_as_latin1_is_read_as_utf8() -> None:
    decoded = decode_text("Grüße aus Köln – “quoted”".encode(), "iso-8859-1")
    assert decoded.text == "Grüße aus Köln – “quoted”" and decoded.guessed


def test_unknown_declared_label_is_ignored() -> None:
    assert decode_text(b"plain ascii", "x-no-such-charset").text == "plain ascii"


def test_undeclared_legacy_text_is_guessed() -> None:
    decoded = decode_text(CP1252_TEXT.encode("cp1252"))
    assert decoded.text == CP1252_TEXT and decoded.guessed


@pytest.mark.parametrize("text, codec", [
    # charset_normalizer alone ranks cp1257 first here ("déją vu").
    ("Le café’s owner said “déjà vu” about the final offer. Où est la bibliothèque? Très bien, à bientôt.", "cp1252"),
    ("Lietuvos prezidentas susitiko su įmonės vadovais ir aptarė ekonomikos plėtrą šiais metais.", "cp1257"),
    ("Президент компании заявил, что новая стратегия принесёт прибыль уже в следующем году.", "cp1251"),
    ("Příliš žluťoučký kůň úpěl ďábelské ódy. Šťastný čtenář si přečetl článek o řece Vltavě.", "cp1250"),
])
def test_short_legacy_texts_are_guessed_right(text: str, codec: str) -> None:
    decoded = decode_text(text.encode(codec), "utf-8")
    assert decoded.text == text and decoded.encoding == codec and decoded.guessed


@pytest.mark.parametrize("data, message", [
    (random.Random(3).randbytes(3000), "binary data"),
    (build_pdf(), "PDF document"),
    (bytes(random.Random(5).choices(range(0x80, 0x100), k=2000)), "character encoding"),
])
def test_undecodable_input(data: bytes, message: str) -> None:
    with pytest.raises(UndecodableError) as info:
        decode_text(data)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_is_text(codec: str) -> None:
    text = "Hugo Touvron left Meta for Mistral in Paris, the café said. " * 3
    data = text.encode(codec)
    assert sniff_binary(data) is None
    decoded = decode_text(data)
    assert (decoded.text, decoded.encoding, decoded.guessed) == (text, codec.replace("-", "_"), True)


def test_nul_bytes_scattered_through_text_are_still_binary() -> None:
    data = bytearray(("Nul bytes here and there. " * 20).encode())
    for i in range(0, len(data), 37):
        data[i] = 0
    assert sniff_binary(bytes(data)) == "binary data"
