"""The background trainer trains in another process and hands back a working suggester."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import CancelledError
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import pytest

from app.core.suggest import train_suggester
from app.core.suggest.dictionary import Suggestion
from app.core.suggest.trainer import BackgroundTrainer, train_with_rejections

DOCS = [{"text": "Hugo Touvron left Meta.", "spans": [{"start": 0, "end": 12, "label": "PERSON"},
                                                      {"start": 18, "end": 22, "label": "ORG"}]}]
NEW = "Meta hired Hugo Touvron again."


class _Noted:
    """A suggester that remembers which process trained it (picklable: a module-level class)."""

    def __init__(self, suggester: Any, pid: int, rejected: Sequence[tuple[str, str]], labels: Sequence[str] = ()) -> None:
        self.suggester, self.pid, self.rejected = suggester, pid, list(rejected)

    def __call__(self, text: str) -> list[Suggestion]:
        return list(self.suggester(text))


def _train_noting_pid(docs: Sequence[Mapping[str, Any]], rejected: Sequence[tuple[str, str]], labels: Sequence[str] = ()) -> _Noted:
    return _Noted(train_with_rejections(docs, rejected), os.getpid(), rejected)


def _train_slowly(docs: Sequence[Mapping[str, Any]], rejected: Sequence[tuple[str, str]], labels: Sequence[str] = ()) -> _Noted:
    time.sleep(float(docs[0].get("sleep", 0)))
    return _train_noting_pid(docs, rejected)


def _die(docs: Sequence[Mapping[str, Any]], rejected: Sequence[tuple[str, str]], labels: Sequence[str] = ()) -> _Noted:
    os._exit(3)


def _found(suggester: Any, text: str) -> set[tuple[str, str]]:
    return {(text[s["start"]:s["end"]], s["label"]) for s in suggester(text)}


def test_training_runs_in_another_process_and_returns_a_working_suggester() -> None:
    with BackgroundTrainer(_train_noting_pid) as trainer:
        trained = trainer.submit(iter(DOCS), [("Paris", "ORG")]).result(timeout=60)
        again = trainer.submit(DOCS).result(timeout=60)
    assert isinstance(trained, _Noted) and trained.pid != os.getpid()
    assert again.pid == trained.pid  # the worker stays for the next training
    assert trained.rejected == [("Paris", "ORG")]
    assert _found(trained, NEW) == {("Meta", "ORG"), ("Hugo Touvron", "PERSON")}


def test_the_default_training_returns_what_train_suggester_returns() -> None:
    with BackgroundTrainer() as trainer:
        suggester = trainer.submit(DOCS, []).result(timeout=60)
    assert type(suggester) is type(train_suggester(DOCS))
    assert _found(suggester, NEW) == {("Meta", "ORG"), ("Hugo Touvron", "PERSON")}


def test_a_newer_training_replaces_one_not_started() -> None:
    with BackgroundTrainer(_train_slowly) as trainer:
        running = trainer.submit([{**DOCS[0], "sleep": 1.0}])
        while not running.running():
            time.sleep(0.01)
        waiting = trainer.submit(DOCS)
        newest = trainer.submit(DOCS, [("Meta", "ORG")])
        assert trainer.busy
        assert waiting.cancelled()
        with pytest.raises(CancelledError):
            waiting.result()
        assert newest.result(timeout=60).rejected == [("Meta", "ORG")]
        assert running.result(timeout=60).pid == newest.result().pid
        assert not trainer.busy


def test_a_dead_worker_fails_its_training_and_the_next_one_gets_a_new_worker() -> None:
    trainer = BackgroundTrainer(_die)
    try:
        with pytest.raises(BrokenProcessPool):
            trainer.submit(DOCS).result(timeout=60)
        trainer._train = _train_noting_pid
        assert _found(trainer.submit(DOCS).result(timeout=60), NEW)
    finally:
        trainer.shutdown()
    with pytest.raises(RuntimeError):
        trainer.submit(DOCS)


def test_shutting_down_without_waiting_stops_a_training_under_way() -> None:
    """Closing the window must not leave a worker training on (the interpreter would wait for it at exit)."""
    trainer = BackgroundTrainer(_train_slowly)
    warm = trainer.submit(DOCS).result(timeout=60)  # the worker is up: its pid is known
    running = trainer.submit([{**DOCS[0], "sleep": 60}])
    while not running.running():
        time.sleep(0.01)
    started = time.monotonic()
    trainer.shutdown(wait=False)
    while _alive(warm.pid) and time.monotonic() - started < 10:
        time.sleep(0.05)
    assert not _alive(warm.pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A terminated child not yet reaped is a zombie: gone for every purpose here. It may be reaped
    # between the two looks, and its /proc entry gone with it.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except (ProcessLookupError, FileNotFoundError):
        return False
