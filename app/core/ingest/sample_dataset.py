"""The sample dataset: a few articles, some already labelled, to try the app on in a minute.

Its articles ship as ``resources/sample/sample-articles.jsonl`` in our native
export format (built by ``resources/sample/make_sample.py``); this module turns
them into a dataset file in the user's data folder. Qt-free: the welcome view
calls it from a background task, and the CLI or tests can call it directly.
"""

from __future__ import annotations

from pathlib import Path

from app.core.changes import ChangeKind, Changes
from app.core.db.store import open_store
from app.core.ingest.importer import import_sources
from app.core.ops import library
from app.core.paths import datasets_dir
from app.resources import resource_path

SAMPLE_ARTICLES = ("sample", "sample-articles.jsonl")
SAMPLE_DATASET_NAME = "sample.curator.sqlite"


class SampleDatasetError(Exception):
    """The sample dataset could not be made; ``str()`` is a sentence for the user."""


def default_sample_path() -> Path:
    """Where the sample dataset lives unless told otherwise: beside the user's other datasets."""
    return datasets_dir() / SAMPLE_DATASET_NAME


def sample_articles_path() -> Path:
    return resource_path(*SAMPLE_ARTICLES)


def sample_dataset_changes() -> Changes:
    """What filling a dataset with the sample changes: new articles, and the labels their spans use."""
    return Changes.of(ChangeKind.ARTICLES_ADDED, ChangeKind.LABELS_CHANGED)


def create_sample_dataset(path: Path | None = None) -> Path:
    """The path of a dataset holding the sample articles, made on first use.

    A dataset at ``path`` that already has articles is kept as it is, so what a
    user labelled in the sample is never overwritten or imported twice.
    Raises ``StoreError`` when ``path`` cannot be opened as a dataset,
    ``FileNotFoundError`` when the sample articles are missing from the
    installation, and ``SampleDatasetError`` when they cannot be imported.
    """
    path = Path(path) if path is not None else default_sample_path()
    articles = sample_articles_path()
    with open_store(path) as store:
        if library.count_articles(store) > 0:
            return path
        report = import_sources(store, [articles])
    if report.failures:
        first = report.failures[0]
        raise SampleDatasetError(f"The sample articles could not be imported into {path}: {first.reason}")
    return path
