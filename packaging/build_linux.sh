#!/usr/bin/env bash
# Build the one-folder Linux app with PyInstaller: dist/article-curator/article-curator.
#
#   packaging/build_linux.sh [PYTHON]
#
# PYTHON (default .venv/bin/python) must have the app's dependencies and
# PyInstaller, e.g. after: .venv/bin/pip install -e ".[bundle]"
set -euo pipefail
cd "$(dirname "$0")/.."

python=${1:-.venv/bin/python}
if ! "$python" -c "import PyInstaller" 2>/dev/null; then
    echo "PyInstaller is missing from $python; install it with: $python -m pip install -e \".[bundle]\"" >&2
    exit 2
fi

started=$SECONDS
"$python" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/article_curator.spec
echo "Built dist/article-curator in $((SECONDS - started)) s ($(du -sh dist/article-curator | cut -f1))."
