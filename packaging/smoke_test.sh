#!/usr/bin/env bash
# Smoke-run the built one-folder app, offscreen, in a temp folder:
#  1. it starts (--version) and finds its resources (the starter model for suggestions
#     among them) and migrations inside the bundle;
#  2. it creates a dataset and imports an HTML page (extraction workers are
#     processes of the frozen app), a text file and the bundled sample dataset;
#  3. it exports JSONL whose span offsets hold (text[start:end] == span text);
#  4. the desktop app opens its window and quits by itself (--quit-after).
#
#   packaging/smoke_test.sh [APP_FOLDER]     (default: dist/article-curator)
#
# Needs python3 (any) to check the JSON it prints and writes.
set -euo pipefail
cd "$(dirname "$0")/.."

app_dir=$(cd "${1:-dist/article-curator}" && pwd)
program="$app_dir/article-curator"
python=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ARTICLE_CURATOR_HOME="$work/home" QT_QPA_PLATFORM=offscreen
unset ARTICLE_CURATOR_DB
db="$work/dataset.curator.sqlite"
started=$SECONDS

step() { echo "--- $*"; }
run() { timeout 180 "$program" "$@"; }  # a hang (say, workers that never start) fails the test

step "version"
run --version

step "where the bundle finds its files"
run --bundle-info | tee "$work/info.json"
resources=$("$python" - "$work/info.json" "$app_dir" <<'EOF'
import json, sys
from pathlib import Path
info, app_dir = json.loads(Path(sys.argv[1]).read_text()), Path(sys.argv[2]).resolve()
assert info["frozen"], "the program is not a frozen build"
for key in ("resources", "icon", "migrations"):
    path = Path(info[key]).resolve()
    assert path.is_relative_to(app_dir), f"{key} {path} is outside the bundle {app_dir}"
    assert path.exists(), f"{key} {path} is missing"
assert info["head_revision"], "no migration found"
print(info["resources"])
EOF
)

step "import an HTML page, a text file and the sample dataset"
mkdir "$work/in"
cp tests/data/news/dw.com.uncork.html "$work/in/"
cat > "$work/in/harbour-report.txt" <<'EOF'
Harbour board approves new ferry timetable
The harbour board of Port Allerton approved a new ferry timetable on Tuesday.
Chair Miriam Okafor said the change would cut waiting times by a third, a figure
the ferry operators' association disputed in a statement the same evening.
EOF
sources=("$work/in")
expected=2
sample="$resources/sample/sample-articles.jsonl"
[ -f "$sample" ] || { echo "the sample dataset is missing from the bundle: $sample" >&2; exit 1; }
sources+=("$sample")
model="$resources/models/starter-person-org.crfsuite"
[ -f "$model" ] || { echo "the starter model for suggestions is missing from the bundle: $model" >&2; exit 1; }
expected=$((expected + $(grep -c . "$sample")))
run import --db "$db" "${sources[@]}" | tee "$work/import.txt"
grep -q "Imported: $expected " "$work/import.txt" || { echo "expected $expected imported articles" >&2; exit 1; }

step "stats"
run stats --db "$db"

step "export and check the offsets"
run export --db "$db" "$work/export.jsonl"
"$python" - "$work/export.jsonl" "$expected" <<'EOF'
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
assert len(lines) == int(sys.argv[2]), f"{len(lines)} articles exported, {sys.argv[2]} expected"
spans = 0
for line in lines:
    article = json.loads(line)
    assert article["text"], f"{article['id']} has no text"
    for span in article["spans"]:
        assert article["text"][span["start"]:span["end"]] == span["text"], (article["id"], span)
        spans += 1
print(f"{len(lines)} articles and {spans} spans exported, every offset right")
EOF

step "the desktop app opens and quits"
run --db "$db" --quit-after 3

echo "Smoke test passed in $((SECONDS - started)) s."
