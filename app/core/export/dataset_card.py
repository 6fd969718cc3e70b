"""The dataset card (``NAME.README.md``) of an export, after the Hugging Face Hub's dataset cards.

A YAML header the Hub reads (languages, task, size, the data files per split and,
for ``hf``, the tag names of ``ner_tags``), then for people: what the data is,
the labels and their definitions (the label set's descriptions), the counts,
how it was split, the files and how to check them. Everything comes from the
manifest and the label set, so the card and the manifest never disagree.
"""

from __future__ import annotations

from typing import Any

import orjson

from app.core.export.manifest import DatasetFacts

_FORMAT_TEXT = {
    "native": "Article Curator's own JSONL: one article a line with its text, metadata and every annotator's "
              "spans (start, end, label, text, annotator, attributes).",
    "spacy": "Prodigy's task JSONL, which spaCy also reads: one article a line, `text`, `spans` "
             "(start, end, label, text) and `meta`.",
    "doccano": "doccano's sequence-labelling JSONL: one article a line, `text` and `label` "
               "([start, end, LABEL] triples), metadata as flat keys.",
    "conll": "CoNLL-2003-style columns `TOKEN -X- _ TAG`: one token a line, a blank line between sentences, "
             "`-DOCSTART- -X- O O` before each article.",
    "hf": "JSON lines for token classification, one sentence a line: `id`, `article`, `tokens` and `ner_tags` "
          "(integers indexing the tag names listed below and in the `.labels.json` file).",
    "spacy-docbin": "spaCy's binary DocBin (`.spacy`), read by `spacy train`: entity spans as `doc.ents`, claim "
                    "spans as `doc.spans[\"claims\"]`, claim attributes in `doc.user_data`.",
}
_KIND_TEXT = {"entity": "entity (a name in the text)", "claim": "claim (a statement someone makes)"}


def render_card(manifest: dict[str, Any], facts: DatasetFacts) -> str:
    return "\n".join([*_header(manifest, facts), *_body(manifest, facts)]) + "\n"


def _yaml(value: Any) -> str:
    # JSON is YAML: strings quoted this way need no YAML escaping rules of their own.
    return orjson.dumps(value).decode()


def _header(manifest: dict[str, Any], facts: DatasetFacts) -> list[str]:
    fmt = manifest["export"]["format"]
    lines = ["---", f"pretty_name: {_yaml(_title(manifest))}"]
    if facts.languages:
        lines.append("language:")
        lines += [f"- {_yaml(code)}" for code in facts.languages]
    # Every format holds spans of text with labels: the Hub's name for that task.
    lines += ["task_categories:", "- token-classification", "task_ids:", "- named-entity-recognition"]
    lines.append(f"size_categories:\n- {_size_category(manifest['counts']['articles'])}")
    data = [f for f in manifest["files"] if f["role"] == "data"]
    lines += ["configs:", "- config_name: default", "  data_files:"]
    for f in data:
        lines += [f"  - split: {f.get('split', 'train')}", f"    path: {_yaml(f['name'])}"]
    tags = manifest.get("tag_names")
    if fmt == "hf" and tags:
        lines += ["dataset_info:", "  features:", "  - name: id", "    dtype: string", "  - name: article",
                  "    dtype: string", "  - name: tokens", "    sequence: string", "  - name: ner_tags",
                  "    sequence:", "      class_label:", "        names:"]
        lines += [f"          '{i}': {_yaml(tag)}" for i, tag in enumerate(tags)]
    lines.append("---")
    return lines


def _title(manifest: dict[str, Any]) -> str:
    return f"{manifest['dataset']['name']} ({manifest['export']['format']} export)"


def _size_category(n: int) -> str:
    for bound, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                        (1_000_000, "100K<n<1M")):
        if n < bound:
            return name
    return "1M<n<10M"


def _body(manifest: dict[str, Any], facts: DatasetFacts) -> list[str]:
    export, counts = manifest["export"], manifest["counts"]
    fmt = export["format"]
    lines = ["", f"# {_title(manifest)}", "", "## Dataset description", "",
             f"News articles labelled with Article Curator {manifest['app']['version']}: names of people and "
             "organisations (entity spans) and the claims made in the text (claim spans), exported on "
             f"{manifest['created']} from the dataset `{manifest['dataset']['name']}` "
             f"(schema version {manifest['dataset']['schema_version']}).", "",
             f"- Format: `{fmt}` (version {export['format_version']}). {_FORMAT_TEXT.get(fmt, '')}",
             f"- Offsets: {export['offset_unit']}."]
    if "tokenizer" in export:
        lines.append(f"- Tokens: {export['tokenizer']}; spans off token boundaries: `{export['align']}`"
                     + (f"; tags: {export['scheme'].upper()}." if "scheme" in export else "."))
    if facts.languages:
        lines.append(f"- Languages: {', '.join(facts.languages)}.")
    annotators = [a or "(unnamed)" for a in manifest["annotators"]]
    lines.append(f"- Annotators: {', '.join(annotators) if annotators else 'none'}; layer: {manifest['layer']}.")
    lines += ["", "## Labels", "", "| Label | Kind | Definition | Colour |", "|---|---|---|---|"]
    entities_only = fmt in ("conll", "hf")
    for label in facts.labels:
        definition = label["description"].replace("|", "\\|").replace("\n", " ") or "(no description in the label set)"
        if entities_only and label["kind"] == "claim":
            definition += " Not in this format: claims overlap the entities a tag sequence holds."
        lines.append(f"| {label['name']} | {_KIND_TEXT.get(label['kind'], label['kind'])} | {definition} | "
                     f"{label['color']} |")
    if manifest.get("tag_names"):
        lines += ["", "Tag names (`ner_tags` index this list): " + ", ".join(
            f"{i} `{t}`" for i, t in enumerate(manifest["tag_names"]))]
    lines += ["", *_counts(counts), "", *_split(manifest), "", *_files(manifest)]
    spans = manifest.get("spans")
    if spans:
        lines += ["", "## Spans on tokens", "",
                  f"{spans['read']} spans read, {spans['written']} written, {len(spans['moved_onto_tokens'])} moved "
                  f"onto token boundaries, {len(spans['left_out'])} left out, {spans['claims_not_in_format']} "
                  "CLAIM spans not in a token format. Each moved or left-out span is listed in the manifest."]
    filters = manifest["filters"]
    chosen = [f"{key}: {', '.join(values)}" for key, values in filters.items() if values]
    lines += ["", "## Selection", "", ("Only " + "; ".join(chosen) + ".") if chosen else
              "Every article and every span of the dataset."]
    return lines


def _counts(counts: dict[str, Any]) -> list[str]:
    per_split = counts.get("per_split", {})
    lines = ["## Counts", "", f"{counts['articles']} articles"
             + (" (" + ", ".join(f"{name} {n}" for name, n in per_split.items()) + ")." if per_split else ".")]
    # Spans per split only when the export counted them so (not every format does).
    per_split_labels = counts.get("per_split_labels", {})
    splits = list(per_split) if per_split_labels else []
    lines += ["", "| Label | Spans |" + "".join(f" {s} |" for s in splits), "|---|---|" + "---|" * len(splits)]
    for label, n in counts["spans_per_label"].items():
        lines.append(f"| {label} | {n} |" + "".join(f" {per_split_labels.get(s, {}).get(label, 0)} |"
                                                    for s in splits))
    return lines


def _split(manifest: dict[str, Any]) -> list[str]:
    split = manifest["split"]
    lines = ["## How it was split", ""]
    if split is None:
        return [*lines, "Not split: one file holds every article."]
    fractions = ", ".join(f"{name} {share:g}" for name, share in split["fractions"].items())
    grouping = {"cluster": "every group of near copies of a story in one split",
                "site": "every site's articles in one split, with every site its near copies ran on",
                "none": "each article on its own"}.get(split["group_by"], split["group_by"])
    lines.append(f"Fractions {fractions}, seed {split['seed']}, grouping: {grouping}. An article's split "
                 "follows from a hash of its id (or its group's key) and the seed alone, so it stays in its split "
                 "when articles are added; the fractions are met as closely as that allows.")
    groups = manifest["counts"].get("per_split_groups")
    if groups:
        lines.append("Groups per split: " + ", ".join(f"{name} {n}" for name, n in groups.items())
                     + "; no group straddles two splits.")
    return lines


def _files(manifest: dict[str, Any]) -> list[str]:
    lines = ["## Files", "", "| File | Split | Lines | Bytes | SHA-256 |", "|---|---|---|---|---|"]
    for f in manifest["files"]:
        lines.append(f"| {f['name']} | {f.get('split', '')} | {'' if f['lines'] is None else f['lines']} | "
                     f"{f['bytes']} | `{f['sha256']}` |")
    return [*lines, "", "Check them with `article-curator verify` and the `.manifest.json` file beside this card."]
