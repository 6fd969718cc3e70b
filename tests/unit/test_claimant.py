"""The claimant proposed for a CLAIM: attribution by speech verb first, then the claim's sentence, then the previous one."""

from __future__ import annotations

import re

from app.core.entities.claimant import ClaimantProposal, propose_claimant


def mentions_of(text: str, names: dict[str, str]) -> list[tuple[int, int, str]]:
    """Every occurrence of each name, with its label."""
    return [(m.start(), m.end(), label) for name, label in names.items()
            for m in re.finditer(re.escape(name), text)]


def proposed(text: str, claim: str, names: dict[str, str], **labels) -> list[str]:
    start = text.index(claim)
    proposals = propose_claimant(text, (start, start + len(claim)), mentions_of(text, names), **labels)
    return [text[p.start:p.end] for p in proposals]


def test_speech_verb_after_the_name():
    text = "Imogen Thackeray said the turbines would power 4,000 homes."
    assert proposed(text, "the turbines would power 4,000 homes", {"Imogen Thackeray": "PERSON"}) == [
        "Imogen Thackeray"]


def test_speech_verb_before_the_name():
    text = "Seacrest Tidal builds turbines. “The turbines are cheap,” said Imogen Thackeray on Monday."
    names = {"Imogen Thackeray": "PERSON", "Seacrest Tidal": "ORG"}
    assert proposed(text, "The turbines are cheap", names) == ["Imogen Thackeray", "Seacrest Tidal"]


def test_according_to_an_organisation():
    text = "The bars were sold in Greywick. Nobody was harmed, according to the Northvale Food Office."
    names = {"Greywick": "ORG", "Northvale Food Office": "ORG"}
    assert proposed(text, "Nobody was harmed", names)[0] == "Northvale Food Office"


def test_quoted_claim_attributed_in_the_next_sentence():
    text = ("Brenna Okafor asked about the channel. “The channel will stay 200 metres wide.” "
            "Seacrest Tidal said so in a statement.")
    names = {"Brenna Okafor": "PERSON", "Seacrest Tidal": "ORG"}
    assert proposed(text, "The channel will stay 200 metres wide.", names) == ["Seacrest Tidal", "Brenna Okafor"]


def test_the_next_sentence_counts_only_for_a_quoted_claim():
    text = "The channel will stay 200 metres wide. Seacrest Tidal said so in a statement."
    assert proposed(text, "The channel will stay 200 metres wide", {"Seacrest Tidal": "ORG"}) == []


def test_attribution_in_the_previous_sentence_comes_before_a_name_in_the_claim():
    text = "Brenna Okafor warned of two dangers. The turbines of Seacrest Tidal would narrow the channel."
    names = {"Brenna Okafor": "PERSON", "Seacrest Tidal": "ORG"}
    assert proposed(text, "The turbines of Seacrest Tidal would narrow the channel", names) == [
        "Brenna Okafor", "Seacrest Tidal"]


def test_two_candidates_ranked_by_the_speech_verb_not_by_nearness():
    text = "Imogen Thackeray told a meeting with Brenna Okafor that the turbines were cheap."
    names = {"Imogen Thackeray": "PERSON", "Brenna Okafor": "PERSON"}
    assert proposed(text, "the turbines were cheap", names) == ["Imogen Thackeray", "Brenna Okafor"]


def test_a_name_without_a_verb_comes_after_the_attributed_one_in_the_same_sentence():
    text = "Brenna Okafor, who chairs the Harbour Pilots’ Association, warned that the turbines would narrow it."
    names = {"Brenna Okafor": "PERSON", "Harbour Pilots’ Association": "ORG"}
    assert proposed(text, "the turbines would narrow it", names) == ["Brenna Okafor", "Harbour Pilots’ Association"]


def test_an_organisation_as_claimant_after_an_apposition():
    text = "Seacrest Tidal, the firm that will build the pilot, said the channel would stay wide."
    start = text.index("the channel")
    proposals = propose_claimant(text, (start, len(text) - 1), mentions_of(text, {"Seacrest Tidal": "ORG"}))
    assert proposals == [ClaimantProposal(0, 14, "ORG", "next to “said”")]


def test_a_name_of_an_organisation_keeps_the_verb():
    text = "Professor Tomasz Adeyemi of the Calder Institute, who was not involved, cautioned that the sample was small."
    names = {"Tomasz Adeyemi": "PERSON", "Calder Institute": "ORG"}
    assert proposed(text, "the sample was small", names) == ["Tomasz Adeyemi", "Calder Institute"]


def test_a_pronoun_stands_for_the_nearest_earlier_person():
    text = ("Brenna Okafor left early. Imogen Thackeray visited Seacrest Tidal. "
            "“This is the cheapest clean power,” she told the meeting.")
    names = {"Brenna Okafor": "PERSON", "Imogen Thackeray": "PERSON", "Seacrest Tidal": "ORG"}
    assert proposed(text, "This is the cheapest clean power", names)[0] == "Imogen Thackeray"


def test_a_noun_stands_for_the_organisation_that_holds_it():
    text = ("The Greywick school board met the Greywick Music Trust in March. Parents were worried. "
            "The board said it would publish the budget in September.")
    names = {"Greywick school board": "ORG", "Greywick Music Trust": "ORG"}
    assert proposed(text, "it would publish the budget in September", names)[0] == "Greywick school board"


def test_the_claims_own_pronoun_is_not_its_claimant():
    text = "Seacrest Tidal built the pilot. Then the council met. It would cost little, the council heard."
    assert proposed(text, "It would cost little", {"Seacrest Tidal": "ORG"}) == []


def test_no_candidate_gives_an_empty_list():
    text = "The channel is 300 metres wide. The turbines would narrow it by a third."
    claim = "The turbines would narrow it by a third"
    assert proposed(text, claim, {}) == []
    assert proposed(text, claim, {"channel": "LOC"}) == []
    far = "Brenna Okafor spoke. Nobody listened. Later there was rain. The turbines would narrow it by a third."
    assert proposed(far, claim, {"Brenna Okafor": "PERSON"}) == []


def test_each_name_is_proposed_once_and_labels_can_be_chosen():
    text = "Okafor met Okafor's lawyer. Okafor said the turbines would narrow the channel."
    assert proposed(text, "the turbines would narrow the channel", {"Okafor": "PER"}) == ["Okafor"]
    assert proposed(text, "the turbines would narrow the channel", {"Okafor": "PER"},
                    person_labels=("PERSON",), org_labels=("ORG",)) == []


def test_a_pronoun_after_the_verb_is_what_was_said_not_who_said_it():
    text = "Seacrest Tidal built the pilot. Brenna Okafor was there. She said it would narrow the channel."
    names = {"Seacrest Tidal": "ORG", "Brenna Okafor": "PERSON"}
    assert proposed(text, "would narrow the channel", names) == ["Brenna Okafor"]


def test_a_closing_quote_after_a_full_stop_ends_its_sentence():
    text = "Brenna Okafor spoke of “danger.” Nobody replied. The turbines would narrow the channel."
    assert proposed(text, "The turbines would narrow the channel", {"Brenna Okafor": "PERSON"}) == []


def test_the_name_after_told_is_the_listener():
    text = "Imogen Thackeray opened the meeting. “This is cheap,” she told Seacrest Tidal."
    names = {"Imogen Thackeray": "PERSON", "Seacrest Tidal": "ORG"}
    assert proposed(text, "This is cheap", names) == ["Imogen Thackeray", "Seacrest Tidal"]


def test_only_the_mentions_near_the_claim_are_ranked_in_a_long_article():
    unit = "Brenna Okafor, who chairs the association, warned that the turbines would narrow it. Rain fell. "
    text = unit * 2000 + "Seacrest Tidal said the channel would stay wide."
    names = {"Brenna Okafor": "PERSON", "Seacrest Tidal": "ORG"}
    assert proposed(text, "the channel would stay wide", names) == ["Seacrest Tidal"]
