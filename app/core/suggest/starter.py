"""The starter model: a CRF shipped with the app, for suggestions before anything is labelled.

``load_starter()`` reads ``resources/models/starter-person-org.crfsuite`` (found
through ``app.resources``; built by ``packaging/starter_model/``) once per process,
or gives None when the app ships without it. The model tags PERSON and ORG;
``starter_label_map`` renames those to a dataset's own labels.

:class:`StarterLayer` is the model as a layer of a blended suggester. It pickles
without the model (tens of megabytes) and loads it again where it is unpickled, as
the suggester travels from the training process to the window.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

from app.core.suggest.blend import ModelLayer
from app.core.suggest.crf import CrfModel
from app.resources import resource_path

STARTER_FILE = ("models", "starter-person-org.crfsuite")
STARTER = "starter"  # the rule name of the starter's suggestions
# The names datasets give the starter's labels (compared without case).
LABEL_FAMILIES = {
    "PERSON": ("PERSON", "PER", "PERSONS", "PEOPLE"),
    "ORG": ("ORG", "ORGANIZATION", "ORGANISATION", "ORGANIZATIONS", "ORGANISATIONS", "COMPANY"),
}


@functools.cache
def load_starter() -> CrfModel | None:
    """The shipped starter model, or None when it is not installed."""
    try:
        path = resource_path(*STARTER_FILE)
    except FileNotFoundError:
        return None
    return CrfModel.load(path)


def starter_label_map(model_labels: Iterable[str], dataset_labels: Iterable[str] | None) -> dict[str, str]:
    """Each starter label → the dataset's label of the same kind ("PERSON" → "Person",
    "PER"...). Without dataset labels (nothing known yet), the starter's own names.
    Empty when the dataset has none of the kinds: the starter then stays silent."""
    if dataset_labels is None:
        return {label: label for label in model_labels}
    by_name = {label.casefold(): label for label in sorted(dataset_labels, reverse=True)}
    mapping = {}
    for label in model_labels:
        for name in LABEL_FAMILIES.get(label.upper(), (label,)):
            if name.casefold() in by_name:
                mapping[label] = by_name[name.casefold()]
                break
    return mapping


class StarterLayer(ModelLayer):
    """The shipped starter model as a layer (see the module)."""

    def __init__(self, label_map: Mapping[str, str], model: CrfModel | None = None) -> None:
        model = model if model is not None else load_starter()
        if model is None:
            raise FileNotFoundError("the starter model is not installed")
        super().__init__(model, STARTER, label_map)

    def __reduce__(self) -> tuple[Any, tuple[dict[str, str] | None]]:
        return (StarterLayer, (self.label_map,))
