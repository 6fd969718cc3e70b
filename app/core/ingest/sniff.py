"""Content sniffing and text decoding for downloaded or imported bytes.

Servers lie: pages labelled ``text/html`` turn out to be PDFs, and ``charset=utf-8``
headers sit on top of Windows-1252 bodies.  These helpers look at the bytes
themselves so the importer can refuse binary files with a clear message and
still decode mislabelled text correctly.  Pure functions, no Qt.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer

__all__ = ["DecodedText", "UndecodableError", "decode_text", "sniff_binary", "utf16_without_bom"]

# How much of the start of a body the heuristics look at.
SNIFF_BYTES = 4096
META_SCAN_BYTES = 2048

# (signature, offset, human name).  Order matters only for shared prefixes.
_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "a PNG image"),
    (b"\xff\xd8\xff", 0, "a JPEG image"),
    (b"GIF87a", 0, "a GIF image"),
    (b"GIF89a", 0, "a GIF image"),
    (b"PK\x03\x04", 0, "a ZIP archive"),
    (b"PK\x05\x06", 0, "a ZIP archive"),
    (b"\x1f\x8b", 0, "a gzip archive"),
    (b"\xfd7zXZ\x00", 0, "an XZ archive"),
    (b"7z\xbc\xaf\x27\x1c", 0, "a 7-Zip archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 0, "an old Microsoft Office document"),
    (b"\x7fELF", 0, "a program file"),
    (b"wOFF", 0, "a web font"),
    (b"wOF2", 0, "a web font"),
    (b"ftyp", 4, "a video file"),
    (b"OggS", 0, "an audio or video file"),
    (b"ID3", 0, "an MP3 audio file"),
)

# Control bytes that never appear in real text.  Tab, LF, VT, FF, CR and ESC
# (ANSI colour codes in plain-text logs) are allowed.
_TEXT_CONTROLS = frozenset(b"\t\n\x0b\x0c\r\x1b")
_BAD_CONTROL = bytes(b for b in range(32) if b not in _TEXT_CONTROLS) + b"\x7f"
_BINARY_CONTROL_SHARE = 0.05

_BOMS: tuple[tuple[bytes, str], ...] = (
    # UTF-32 first: its little-endian BOM starts with the UTF-16 one.
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9._:-]+)""", re.I)

# Browsers (WHATWG Encoding standard) treat these labels as Windows-1252, and
# so do real pages: "iso-8859-1" pages routinely contain cp1252 curly quotes.
_WINDOWS_1252_ALIASES = frozenset({"latin_1", "ascii", "iso8859_1"})

# C1 control characters: real text never contains them; they appear when
# cp1252 bytes are decoded as Latin-1 or similar.
_C1 = re.compile("[\x80-\x9f]")
_CP1252 = "cp1252"


def sniff_binary(data: bytes) -> str | None:
    """Name the kind of binary file ``data`` is, or None when it looks like text."""
    head = data[:SNIFF_BYTES]
    if not head:
        return None
    # %PDF may follow a little whitespace (some generators emit a blank line).
    if head.lstrip()[:5] == b"%PDF-":
        return "a PDF document"
    for signature, offset, name in _MAGIC:
        if head[offset : offset + len(signature)] == signature:
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "a WebP image"
    if head[:4] == b"RIFF":
        return "an audio or video file"
    if _bom_encoding(head) is not None:
        # UTF-16/32 text is full of NUL bytes but is still text.
        return None
    if head[:2] == b"MZ" and b"\x00" in head[:64]:
        return "a Windows program"
    if utf16_without_bom(head):
        return None  # its NUL bytes are the high halves of its characters
    if b"\x00" in head:
        return "binary data"
    bad = sum(head.count(c) for c in _BAD_CONTROL)
    if bad / len(head) > _BINARY_CONTROL_SHARE:
        return "binary data"
    return None


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str  # Python codec name, e.g. "utf_8", "cp1252"
    # True when the encoding was inferred rather than declared (or the
    # declaration was wrong), so callers can show a "please check" hint.
    guessed: bool


class UndecodableError(ValueError):
    """The bytes are not text in any encoding we can recognise."""


def utf16_without_bom(data: bytes) -> str | None:
    """``"utf_16_le"`` or ``"utf_16_be"`` for UTF-16 text written without a byte-order mark, else None.

    Text of Latin letters in UTF-16 has a NUL in every other byte, always on the
    same side; binary files have NUL bytes anywhere.
    """
    head = data[: SNIFF_BYTES - SNIFF_BYTES % 2]
    pairs = len(head) // 2
    if pairs < 4:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    for codec, high, low in (("utf_16_le", odd, even), ("utf_16_be", even, odd)):
        if high > pairs * 0.6 and low <= pairs * 0.02 and _try(head, codec) is not None:
            return codec
    return None


def _bom_encoding(data: bytes) -> tuple[str, int] | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, len(bom)
    return None


def _normalise(label: str | None) -> str | None:
    """Map a charset label to a Python codec name, or None if unknown/unusable."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    name = name.replace("-", "_")
    if name in _WINDOWS_1252_ALIASES:
        return "cp1252"
    return name


_MULTI_BYTE_CP = frozenset({"cp932", "cp949", "cp950", "cp65001"})


def _is_single_byte(codec: str) -> bool:
    if codec in _MULTI_BYTE_CP:
        return False
    return codec.startswith(("cp", "iso8859", "mac", "koi8", "windows", "latin", "tis"))


def _declared_in_document(data: bytes) -> str | None:
    head = data[:META_SCAN_BYTES]
    match = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii") if match else None


def _try(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _looks_sane(text: str) -> bool:
    """Reject decodings that are mostly control or replacement characters."""
    if not text:
        return True
    sample = text[:SNIFF_BYTES]
    bad = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\n\r\x0b\x0c\x1b") or ch == "\ufffd")
    bad += len(_C1.findall(sample))
    return bad / len(sample) <= 0.02


def decode_text(data: bytes, declared: str | None = None) -> DecodedText:
    """Decode ``data`` to text.

    Order: byte-order mark, then the declared charset (``declared``, usually the
    HTTP header, else a ``<meta charset>`` or XML declaration in the first 2 KB),
    then strict UTF-8, then a statistical guess.  A declaration that does not
    fit the bytes is ignored and the result is marked ``guessed``.
    """
    if not data:
        return DecodedText("", "utf_8", False)

    bom = _bom_encoding(data)
    if bom is not None:
        encoding, length = bom
        text = _try(data[length:], encoding)
        if text is not None:
            return DecodedText(text, encoding.replace("-", "_"), False)
        data = data[length:]  # Lying BOM: fall through and guess.

    utf16 = utf16_without_bom(data)
    if utf16 is not None:
        text = _try(data, utf16)
        if text is not None and _looks_sane(text):
            return DecodedText(text, utf16, True)

    codec = _normalise(declared)
    if codec is None:
        codec = _normalise(_declared_in_document(data))
        if codec is not None and codec.startswith(("utf_16", "utf_32")):
            # A document that can declare itself in ASCII is not UTF-16
            # (the HTML standard says to read such pages as UTF-8).
            codec = "utf_8"
    utf8 = _try(data, "utf-8")

    if codec is not None:
        text = _try(data, codec)
        if text is not None and _looks_sane(text):
            if codec != "utf_8" and _is_single_byte(codec) and utf8 is not None and not data.isascii():
                # Valid multi-byte UTF-8 almost never occurs by chance in
                # legacy-encoded text, so the declaration is the mistake.
                return DecodedText(utf8, "utf_8", True)
            return DecodedText(text, codec, False)

    if utf8 is not None and _looks_sane(utf8):
        # No usable declaration: strict UTF-8 validity is strong evidence on its
        # own, but overriding a declaration counts as a guess.
        return DecodedText(utf8, "utf_8", codec is not None)

    kind = sniff_binary(data)
    if kind is not None:
        raise UndecodableError(f"This is {kind}, not text.")

    matches = list(charset_normalizer.from_bytes(data))  # ranked best first
    if matches:
        top = matches[0]
        # Short Western text often scores about the same in cp1252, cp1250 and
        # cp1257, and the top pick then turns "déjà" into "déją".  Windows-1252
        # is by far the most common legacy encoding on the web (browsers fall
        # back to it too), so it wins whenever it is about as plausible.
        best = next((m for m in matches if _CP1252 in m.could_be_from_charset
                     and m.chaos <= top.chaos + 0.1 and m.coherence >= top.coherence - 0.05), top)
        text = str(best)
        if _looks_sane(text):
            # Several code pages can give the very same text; name the common one.
            encoding = _CP1252 if _CP1252 in best.could_be_from_charset else best.encoding
            return DecodedText(text, _normalise(encoding) or encoding, True)
    raise UndecodableError("The text uses an unknown or mixed character encoding and cannot be read.")
