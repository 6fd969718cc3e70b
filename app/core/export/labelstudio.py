"""Label Studio tasks with pre-annotations: the ``labelstudio`` export format.

One task per article, written as one JSON list (what Label Studio's import
takes): ``{"data": {"text", "uid", "title", "url", "published", "author",
"site_name", "language", ...metadata},
"predictions": [{"model_version": "article-curator:<annotator>", "result":
[{"id", "from_name": "label", "to_name": "text", "type": "labels", "value":
{"start", "end", "text", "labels": [LABEL]}}]}]}``: each annotator's layer is one
prediction, which Label Studio shows as pre-annotations to review. The text
field is named ``text`` (the labelling config's ``<Text name="text"
value="$text"/>``), the spans' tags ``label`` (``<Labels name="label"
toName="text">``), and offsets count characters (code points). A span's
attributes (a claim's claimant, verdict, note) ride along in the result's
``meta``, which Label Studio keeps. Importing the file here again gives each
layer back as that annotator's spans.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

# A prediction of this model version is an annotator's layer written by this export.
MODEL_VERSION_PREFIX = "article-curator:"
NO_ANNOTATOR = "(no annotator)"


def labelstudio_task(row: Sequence[Any], spans: Sequence[Any], names: list[str], counts: list[int]) -> dict[str, Any]:
    """The task of one article row and its span rows (see the exporter's ``SpanRow``)."""
    body = row[11]
    layers: dict[str, list[dict[str, Any]]] = {}
    for _aid, s, e, rank, who, t, attr, *_links in spans:
        if body[s:e] != t:
            from app.core.export.exporter import ExportError  # here: the exporter imports this module

            raise ExportError(f"Article {row[1]}: span {s}-{e} ({names[rank]}) says {t!r} but the text there is "
                              f"{body[s:e]!r}. The dataset is inconsistent, so nothing was exported.")
        counts[rank] += 1
        result: dict[str, Any] = {"id": f"r{sum(map(len, layers.values()))}", "from_name": "label",
                                  "to_name": "text", "type": "labels",
                                  "value": {"start": s, "end": e, "text": t, "labels": [names[rank]]}}
        if attr:
            result["meta"] = {"attributes": orjson.loads(attr)}
        layers.setdefault(who, []).append(result)
    extra = orjson.loads(row[-1]) if row[-1] and row[-1] != "{}" else {}
    data = {**extra, "text": body, "uid": row[1], "title": row[3], "url": row[2], "published": row[5],
            "author": row[4], "site_name": row[6], "language": row[7]}
    return {"data": {k: v for k, v in data.items() if v is not None},
            "predictions": [{"model_version": MODEL_VERSION_PREFIX + (who or NO_ANNOTATOR), "result": results}
                            for who, results in layers.items()]}


class JsonList:
    """Writes objects to the export's outputs as one JSON list each: ``[`` first, commas between, ``]`` last."""

    def __init__(self) -> None:
        self.started: set[int] = set()

    def item(self, output: Any, encoded: bytes) -> None:
        output.write(b",\n" if id(output) in self.started else b"[\n")
        self.started.add(id(output))
        output.write(encoded.rstrip(b"\n"))

    def close(self, outputs: Sequence[Any]) -> None:
        for output in outputs:
            output.write(b"\n]\n" if id(output) in self.started else b"[]\n")
