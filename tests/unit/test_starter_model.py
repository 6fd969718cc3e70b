"""The shipped starter model (resources/models/starter-person-org.crfsuite) loads and finds names."""

from __future__ import annotations

from app.core.suggest.starter import STARTER_FILE, load_starter
from app.resources import resource_path

MAX_BYTES = 20 * 1024 * 1024


def found(text: str) -> set[tuple[str, str]]:
    model = load_starter()
    assert model is not None, "the starter model is not installed"
    return {(text[s["start"] : s["end"]], s["label"]) for s in model.predict(text)}


def test_the_starter_model_ships_within_its_size_limit():
    path = resource_path(*STARTER_FILE)
    assert 0 < path.stat().st_size <= MAX_BYTES


def test_the_starter_model_tags_person_and_org():
    model = load_starter()
    assert model is not None
    assert model.labels == ["ORG", "PERSON"]


def test_the_starter_model_finds_well_known_names():
    assert found("Angela Merkel said the European Commission would respond.") == {
        ("Angela Merkel", "PERSON"),
        ("European Commission", "ORG"),
    }
    assert {("Tim Cook", "PERSON"), ("Apple Inc.", "ORG")} <= found(
        "Tim Cook, the chief executive of Apple Inc., spoke to reporters."
    )
