"""Convert GUM CoNLL-U files (entity-annotated) into the span-suggestion benchmark corpus.

Usage: python convert.py OUT.jsonl FILE.conllu [FILE.conllu ...]

Each GUM document is cut into chunks of whole paragraphs holding at least
CHUNK_SENTENCES sentences (a short tail joins the chunk before it); each chunk
becomes one JSONL line {"id", "text", "spans": [{"start", "end", "label"}]}.

Text is rebuilt from the word forms and SpaceAfter=No, one space between sentences
and a newline between paragraphs; offsets are computed on that text.

Named entities: GUM annotates every mention (including "the man", "she"). A mention
counts as named when its syntactic head (the word whose head lies outside the
mention) is a PROPN and its type is person (PERSON) or organization (ORG); person mentions
that name a group or a kind ("Canadians", "a Catholic": plural NNPS head, or an
indefinite article) are not names. The span is the head's subtree inside the
mention, without clausal/appositive/punctuation dependents, from its first
capitalised non-determiner word to its last PROPN word ("the University of Sydney"
gives "University of Sydney", "the Catholic Church" stays "Catholic Church"). Of overlapping named spans of one label only the
longest is kept. Spans whose edge falls inside a multi-word token whose form is not
the concatenation of its words are dropped.
"""

import json
import re
import sys

CHUNK_SENTENCES = 12
LABELS = {"person": "PERSON", "organization": "ORG"}
# Prepositions inside a name ("Bank of America", "Bank for International Settlements").
NAME_PREPOSITIONS = ("of", "for", "de", "du", "des", "von", "van")
# Dependents that do not belong to a name: clauses, appositions, punctuation.
EXCLUDED_DEPRELS = ("acl", "appos", "punct", "parataxis", "conj", "cc", "dep", "advcl", "case:poss")


def read_documents(paths):
    """Yield (doc_id, paragraphs), paragraphs a list of sentences, sentences lists of word dicts."""
    doc_id, paragraphs, sentence, mwt = None, [], [], None
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            for raw in handle:
                line = raw.rstrip("\n")
                if line.startswith("# newdoc id = "):
                    if doc_id:
                        yield doc_id, paragraphs
                    doc_id, paragraphs = line.split("= ", 1)[1].strip(), []
                elif line.startswith("# newpar") and not line.startswith("# newpar_block"):
                    paragraphs.append([])
                elif line.startswith("#"):
                    continue
                elif not line:
                    if sentence:
                        if not paragraphs:
                            paragraphs.append([])
                        paragraphs[-1].append(sentence)
                    sentence, mwt = [], None
                else:
                    cols = line.split("\t")
                    if "-" in cols[0]:
                        last = int(cols[0].split("-")[1])
                        mwt = {"form": cols[1], "last": last, "space": "SpaceAfter=No" not in cols[9],
                               "words": []}
                        continue
                    if "." in cols[0]:
                        continue
                    word = {"id": int(cols[0]), "form": cols[1], "upos": cols[3], "xpos": cols[4], "head": int(cols[6]),
                            "deprel": cols[7], "misc": cols[9], "mwt": None}
                    if mwt is not None:
                        word["mwt"] = mwt
                        mwt["words"].append(word)
                        if word["id"] == mwt["last"]:
                            mwt = None
                    sentence.append(word)
    if doc_id:
        yield doc_id, paragraphs


def layout_sentence(sentence, text_parts, offset):
    """Append the sentence's surface to text_parts; set word["start"/"end"]; return the new offset."""
    done_mwts = set()
    for word in sentence:
        mwt = word["mwt"]
        if mwt is None:
            word["start"], word["end"] = offset, offset + len(word["form"])
            text_parts.append(word["form"])
            offset = word["end"]
            space = "SpaceAfter=No" not in word["misc"]
        elif id(mwt) in done_mwts:
            continue
        else:
            done_mwts.add(id(mwt))
            exact = "".join(w["form"] for w in mwt["words"]) == mwt["form"]
            cursor = offset
            for sub in mwt["words"]:
                if exact:
                    sub["start"], sub["end"] = cursor, cursor + len(sub["form"])
                    cursor = sub["end"]
                else:
                    sub["start"], sub["end"] = None, None
            text_parts.append(mwt["form"])
            offset += len(mwt["form"])
            space = mwt["space"]
        if space and word is not sentence[-1] and not (mwt and mwt["words"][-1] is sentence[-1]):
            text_parts.append(" ")
            offset += 1
    return offset


def mentions(sentence):
    """Yield (etype, first_index, last_index) for every entity mention of the sentence."""
    open_stack = {}
    for index, word in enumerate(sentence):
        entity = next((part[7:] for part in word["misc"].split("|") if part.startswith("Entity=")), "")
        position = 0
        while position < len(entity):
            if entity[position] == "(":
                match = re.match(r"\((\d+)-([a-z]+)[^()]*", entity[position:])
                group, etype = match.group(1), match.group(2)
                position += match.end()
                if position < len(entity) and entity[position] == ")":
                    yield etype, index, index
                    position += 1
                else:
                    open_stack.setdefault(group, []).append((etype, index))
            else:
                match = re.match(r"(\d+)\)", entity[position:])
                if not match:
                    position += 1
                    continue
                etype, first = open_stack[match.group(1)].pop()
                yield etype, first, index
                position += match.end()


def belongs_to_name(sentence, inside, word):
    """Whether a dependent is part of the name: "University of California" but not "Columbia University in New York"."""
    if word["deprel"].startswith(EXCLUDED_DEPRELS):
        return False
    if word["deprel"].startswith("nmod"):
        return any(sentence[i]["head"] == word["id"] and sentence[i]["deprel"] == "case"
                   and sentence[i]["form"].lower() in NAME_PREPOSITIONS for i in inside)
    return True


def named_span(sentence, etype, first, last):
    """The (first, last) word indices of the name inside a mention, or None when not named."""
    inside = range(first, last + 1)
    ids = {sentence[i]["id"] for i in inside}
    heads = [i for i in inside if sentence[i]["head"] not in ids]
    if len(heads) != 1 or sentence[heads[0]]["upos"] != "PROPN":
        return None
    keep = {heads[0]}
    frontier = [heads[0]]
    while frontier:
        parent = sentence[frontier.pop()]["id"]
        for i in inside:
            word = sentence[i]
            if word["head"] == parent and i not in keep and belongs_to_name(sentence, inside, word):
                keep.add(i)
                frontier.append(i)
    head = sentence[heads[0]]
    if etype == "person" and (head["xpos"] == "NNPS" or any(
            sentence[i]["head"] == head["id"] and sentence[i]["form"].lower() in ("a", "an") for i in keep)):
        return None
    capitalised = [i for i in keep if sentence[i]["form"][:1].isupper() and sentence[i]["upos"] != "DET"]
    if not capitalised:
        return None
    start = min(capitalised)
    end = max(i for i in keep if sentence[i]["upos"] == "PROPN")
    if end < start:
        return None
    if any(i not in keep for i in range(start, end + 1)):
        return None
    return start, end


def document_chunks(paragraphs):
    """Group paragraphs into chunks of at least CHUNK_SENTENCES sentences."""
    chunks, current = [], []
    for paragraph in paragraphs:
        current.extend(paragraph)
        if len(current) >= CHUNK_SENTENCES:
            chunks.append(current)
            current = []
    if current:
        if chunks and len(current) < CHUNK_SENTENCES // 2:
            chunks[-1].extend(current)
        else:
            chunks.append(current)
    return chunks


def convert_chunk(sentences, paragraph_starts):
    text_parts, offset, spans = [], 0, []
    for number, sentence in enumerate(sentences):
        if number:
            separator = "\n" if id(sentence) in paragraph_starts else " "
            text_parts.append(separator)
            offset += 1
        offset = layout_sentence(sentence, text_parts, offset)
        for etype, first, last in mentions(sentence):
            if etype not in LABELS:
                continue
            name = named_span(sentence, etype, first, last)
            if name is None:
                continue
            start, end = sentence[name[0]]["start"], sentence[name[1]]["end"]
            if start is None or end is None:
                continue
            spans.append({"start": start, "end": end, "label": LABELS[etype]})
    text = "".join(text_parts)
    return text, longest_per_label(spans)


def longest_per_label(spans):
    kept = []
    for span in sorted(spans, key=lambda s: (s["start"] - s["end"], s["start"])):
        clash = any(k["label"] == span["label"] and k["start"] < span["end"] and span["start"] < k["end"]
                    for k in kept)
        if not clash:
            kept.append(span)
    return sorted(kept, key=lambda s: (s["start"], s["end"], s["label"]))


def main(out_path, paths):
    with open(out_path, "w", encoding="utf-8") as out:
        for doc_id, paragraphs in read_documents(paths):
            paragraph_starts = {id(p[0]) for p in paragraphs if p}
            for number, chunk in enumerate(document_chunks(paragraphs), 1):
                text, spans = convert_chunk(chunk, paragraph_starts)
                for span in spans:
                    surface = text[span["start"]:span["end"]]
                    assert surface and surface == surface.strip(), (doc_id, surface)
                record = {"id": f"{doc_id}#{number}", "text": text, "spans": spans}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
