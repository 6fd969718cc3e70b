"""Ten annotators on one PostgreSQL server at once: edits lost or misattributed, edit latency, agreement.

Starts PostgreSQL in a temp folder (tests/postgres_server.py), makes a dataset of
generated news articles, adds one login per annotator (the core of ``users add``),
assigns every article to one annotator and a fifth of them to two (the core of
``assign``), then starts one process per annotator. Each logs in as its annotator
and works through its queue as a person does: a burst of edits a fraction of a
second apart (label a name, now and then delete a span or relabel one, mark the
article done and take the next), then a pause to read. Every edit goes through
the core's edit functions (the ones the window's edit writer calls), timed from
call to commit, and the process keeps the spans it was told were stored.

Afterwards: every span a process was told was stored is in the dataset, under
that process's login, and nothing else is (lost = misattributed = 0); the
latency of all edits (p50, p95, p99; target p99 < 50 ms); and the agreement of
the annotators on the articles two of them finished, computed on the result.

    python benchmarks/team_load_bench.py [--annotators 10] [--edits 1000] [--articles 1000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FIRST = ["Ana", "Ben", "Chloé", "Dmitri", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kemal", "Lina"]
LAST = ["Ruiz", "Okafor", "Martin", "Volkov", "Vasquez", "Haddad", "Lee", "Touvron", "Silva", "Berg"]
ORGS = ["Harbor Bank", "Northgate Builders", "Solvane Robotics", "Meta", "Mistral", "City Council",
        "Red Cross", "Nordic Rail", "Atlas Energy", "Riverside Hospital"]
VERBS = ["said", "told reporters", "announced", "denied", "confirmed", "warned"]
LABELS = ("PERSON", "ORG")


def article_text(rng: random.Random, n: int) -> str:
    sentences = []
    for _ in range(8):
        person = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        sentences.append(f"{person} of {rng.choice(ORGS)} {rng.choice(VERBS)} on day {n} that the "
                         f"{rng.choice(['plan', 'deal', 'budget', 'vote'])} with {rng.choice(ORGS)} would go ahead.")
    return " ".join(sentences)


def names_in(text: str) -> list[tuple[int, int, str]]:
    """Where the generated people and organisations stand: what a careful annotator would label."""
    found = [(m.start(), m.end(), "PERSON") for m in re.finditer(
        rf"\b(?:{'|'.join(FIRST)}) (?:{'|'.join(LAST)})\b", text)]
    found += [(m.start(), m.end(), "ORG") for m in re.finditer(rf"\b(?:{'|'.join(ORGS)})\b", text)]
    return sorted(found)


def work(url: str, login: str, edits: int, seed: int, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """One annotator's session: ``edits`` edits in bursts; reports latencies and the spans kept."""
    from app.core.db.store import open_store
    from app.core.ops import library, span_edits
    from app.core.team import assignment, identity

    rng = random.Random(seed)
    store = open_store(url)
    me = identity.current_annotator(store, "")  # the login: the server says who writes
    latencies: list[float] = []
    kept: dict[int, tuple[int, int, int, str]] = {}  # span id -> (article, start, end, label)
    refused = 0

    def timed(edit):  # type: ignore[no-untyped-def]
        nonlocal refused
        started = time.perf_counter()
        try:
            change = edit()
        except Exception:  # noqa: BLE001 - counted and reported, as the window reports a refused edit
            refused += 1
            return None
        latencies.append((time.perf_counter() - started) * 1000)
        return change

    article = assignment.next_assigned(store, me)
    todo: list[tuple[int, int, str]] = []
    while len(latencies) + refused < edits and article is not None:
        if not todo:
            detail = library.get_article(store, article)
            todo = names_in(detail.text) if detail else []
            # People differ: each skips a few names and now and then takes the other label.
            todo = [(s, e, lb if rng.random() > 0.08 else LABELS[1 - LABELS.index(lb)])
                    for s, e, lb in todo if rng.random() > 0.15]
        for _ in range(rng.randint(3, 12)):  # a burst at keyboard speed
            if len(latencies) + refused >= edits:
                break
            mine = [i for i, k in kept.items() if k[0] == article]
            if todo and (rng.random() > 0.1 or not mine):
                start, end, label = todo.pop(0)
                change = timed(lambda a=article, s=start, e=end, lb=label:  # type: ignore[misc]
                               span_edits.add_span(store, a, s, e, lb, annotator=me))
                if change is not None:
                    kept[change.span_id] = (article, start, end, label)
            elif mine:
                span_id = rng.choice(mine)
                if timed(lambda i=span_id: span_edits.remove_span(store, i)) is not None:  # type: ignore[misc]
                    del kept[span_id]
            if not todo:
                timed(lambda a=article: span_edits.set_status(store, [a], "done", me))  # type: ignore[misc]
                article = assignment.next_assigned(store, me, after=article)
                break
            time.sleep(rng.uniform(0.02, 0.08))
        time.sleep(rng.uniform(0.1, 0.4))  # reading
    store.close()
    results.put((login, latencies, kept, refused))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--annotators", type=int, default=10)
    parser.add_argument("--edits", type=int, default=1000, help="edits per annotator")
    parser.add_argument("--articles", type=int, default=1000)
    args = parser.parse_args()

    from sqlalchemy import create_engine, text

    from app.core.db.store import open_store
    from app.core.ingest.storing import store_articles
    from app.core.team import access, assignment
    from app.core.validation import NewArticle
    from tests.postgres_server import running_postgres_server

    logins = [f"annotator{n:02d}" for n in range(args.annotators)]
    with running_postgres_server(fsync=True) as server:  # durable commits, as a real server makes them
        admin = create_engine(server.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE team_load"))
        admin.dispose()
        owner_url = server.url.rsplit("/", 1)[0] + "/team_load"
        owner = open_store(owner_url)
        rng = random.Random(1)
        store_articles(owner, [NewArticle(text=article_text(rng, n), title=f"Story {n}", source_kind="paste")
                               for n in range(args.articles)])
        for login in logins:
            access.add_user(owner, login, "annotator", password=f"pw-{login}")  # the test server trusts 127.0.0.1
        report = assignment.assign(owner, logins, per_article=2, overlap=0.2, seed=7)
        print(f"{args.articles} articles, {args.annotators} annotators: {report.shared} shared by two")

        context = multiprocessing.get_context("spawn")
        results = context.Queue()
        base = server.url.rsplit("@", 1)[1].rsplit("/", 1)[0]
        workers = [context.Process(target=work, args=(f"postgresql+psycopg://{login}@{base}/team_load", login,
                                                      args.edits, n, results))
                   for n, login in enumerate(logins)]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        done = [results.get(timeout=1800) for _ in workers]
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - started

        latencies = [ms for _, lat, _, _ in done for ms in lat]
        acknowledged = {span_id: (login, *span) for login, _, kept, _ in done for span_id, span in kept.items()}
        refused = sum(r for *_, r in done)
        with owner.begin() as conn:
            stored = {int(r[0]): (r[1], int(r[2]), int(r[3]), int(r[4]), r[5]) for r in conn.execute(text(
                'SELECT span.id, span.annotator, span.article_id, span.start, span."end", label.name '
                "FROM span JOIN label ON label.id = span.label_id"))}
        lost = [i for i in acknowledged if i not in stored]
        misattributed = [i for i, row in acknowledged.items() if i in stored and stored[i][0] != row[0]]
        unexpected = [i for i in stored if i not in acknowledged]
        print(f"{len(latencies)} edits in {elapsed:.1f} s by {len(workers)} processes; {refused} refused")
        print(f"  spans acknowledged {len(acknowledged)}, stored {len(stored)}: lost {len(lost)}, "
              f"misattributed {len(misattributed)}, stored but not acknowledged {len(unexpected)}")
        print(f"  edit latency ms: p50 {percentile(latencies, 0.5):.1f}, p95 {percentile(latencies, 0.95):.1f}, "
              f"p99 {percentile(latencies, 0.99):.1f}, max {max(latencies):.1f}, "
              f"mean {statistics.fmean(latencies):.1f}  (target p99 < 50 ms)")
        print_agreement(owner)
        owner.close()
    ok = not lost and not misattributed and not unexpected and percentile(latencies, 0.99) < 50
    print("OK" if ok else "NOT MET")
    return 0 if ok else 1


def print_agreement(store: object) -> None:
    from app.cli.agreement import describe
    from app.core.team import agreement

    for line in describe(agreement.compute(store)):  # type: ignore[arg-type]
        print(line)


if __name__ == "__main__":
    raise SystemExit(main())
