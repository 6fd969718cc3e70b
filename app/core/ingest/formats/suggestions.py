"""Storing the predictions an import brought (Label Studio's ``predictions``) as suggestions.

They become each new article's stored suggestion layer (``suggest.service``),
which the annotation panel offers for review: accepted, a suggestion becomes a
span with origin "suggested". Stored as spans straight away they would be
exported as labels and counted as accepted without anyone having looked at them.
Suggestions are for entity labels: a prediction whose label is missing from
the dataset creates it as an entity label; one for a claim label is refused.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text

from app.core.db.store import Store
from app.core.ingest.formats import Tally
from app.core.ingest.storing import NewLabels, label_ids

REFUSED_CLAIM = "a prediction with a claim label (suggestions are for entity labels)"


def store_imported_suggestions(store: Store, found: Sequence[tuple[int | None, Sequence[dict[str, Any]]]],
                               tally: Tally, new_labels: NewLabels | None = None) -> int:
    """Store each (article id, its suggestions); returns how many were stored. The labels this
    created are added to ``new_labels``, with the suggestions that use each."""
    stored_articles = [(article_id, list(items)) for article_id, items in found if article_id and items]
    if not stored_articles:
        return 0
    with store.begin() as conn:
        ids, created = label_ids(conn, [s["label"] for _, items in stored_articles for s in items])
        kinds: dict[int, str] = {int(i): k for i, k in conn.execute(text("SELECT id, kind FROM label"))}
        names: dict[int, str] = {int(i): n for i, n in conn.execute(text("SELECT id, name FROM label"))}
    layer: dict[int, list[dict[str, Any]]] = {}
    stored = 0
    for article_id, items in stored_articles:
        for s in items:
            label_id = ids[s["label"]]
            if kinds.get(label_id) != "entity":
                tally.add("refused", REFUSED_CLAIM)
                continue
            layer.setdefault(article_id, []).append({**s, "label": names[label_id]})  # the dataset's spelling
            stored += 1
    if new_labels is not None:
        new_labels.add({ids[name]: name for name in created}, Counter())
        new_labels.add_suggestions(Counter(ids[s["label"]] for items in layer.values() for s in items))
    if layer:
        from app.core.suggest.service import store_suggestions  # here: it loads the suggester's libraries

        store_suggestions(store, layer)  # type: ignore[arg-type]
    return stored
