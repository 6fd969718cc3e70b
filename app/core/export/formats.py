"""The export formats and defaults, without the exporter's imports.

The command line's ``--help`` lists them; reading them must not load the database layer.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import TypeVar

FORMATS = ("native", "spacy", "doccano", "claims", "claimreview", "labelstudio", "conll", "hf", "spacy-docbin")
CLAIM_FORMATS = ("claims", "claimreview")  # one record per claim, not per article
# The token-level formats (app/core/export/token_formats.py): how a span that does not fall on
# token boundaries is placed, and the tag scheme of conll and hf.
TOKEN_FORMATS = ("conll", "hf", "spacy-docbin")
ALIGN_MODES = ("expand", "contract", "strict")
SCHEMES = ("bio", "biluo")
SPLIT_NAMES = ("train", "dev", "test")
DEFAULT_SEED = 13  # the split's seed when none is given: the same split every time

# The file extension of each format, what its readers look for: spacy train collects only .spacy
# files from a folder, Label Studio's and schema.org's are one JSON array (not JSON Lines).
EXTENSIONS = {"native": ".jsonl", "spacy": ".jsonl", "doccano": ".jsonl", "claims": ".jsonl",
              "claimreview": ".json", "labelstudio": ".json", "conll": ".conll", "hf": ".jsonl",
              "spacy-docbin": ".spacy"}
# Why a file gets its extension, when the command line changes the name it was given.
EXTENSION_NOTES = {".jsonl": "the format is JSON Lines (.jsonl)", ".json": "the format is one JSON array (.json)",
                   ".conll": "CoNLL files end in .conll", ".spacy": "spacy train reads .spacy files"}
# What a file dialog offers for each extension.
FILE_FILTERS = {".jsonl": "JSON Lines (*.jsonl)", ".json": "JSON (*.json)", ".conll": "CoNLL (*.conll)",
                ".spacy": "spaCy DocBin (*.spacy)"}


P = TypeVar("P", bound=PurePath)


def with_extension(path: P, fmt: str) -> P:
    """``path`` with the extension of format ``fmt``: another format's extension is replaced, any other
    ending (or none) is kept and the extension added (``notes.txt`` becomes ``notes.txt.spacy``)."""
    wanted = EXTENSIONS[fmt]
    if path.suffix.lower() == wanted:
        return path
    if path.suffix.lower() in FILE_FILTERS:
        return path.with_suffix(wanted)
    return path.with_name(path.name + wanted)
