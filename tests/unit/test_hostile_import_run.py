"""200+ hostile files through the real ``article-curator import FOLDER`` command (benchmarks/hostile_inputs.py).

Broken JSONL and JSON, broken HTML, binary files, wrong and mixed encodings,
empty files, huge lines, NUL bytes and misleading extensions: the command prints
no traceback, exits 1, and names every file that failed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.hostile_inputs import KINDS, run_import, write_files

FILES = 9 * len(KINDS)  # every kind nine times: 216 files


@pytest.mark.slow
def test_hostile_folder_import_names_every_failure_without_a_traceback(tmp_path: Path) -> None:
    files = write_files(tmp_path / "hostile", FILES, seed=9)
    assert len(files) >= 200

    result = run_import(tmp_path / "hostile", files)

    assert result.problems == [], "\n".join(result.problems[:20])
    assert "Traceback" not in result.stdout + result.stderr and result.returncode == 1
    # Not everything fails: the good records, pages and texts among the bad are imported.
    assert result.imported > 0
    must_fail = {f.path for f in files if f.must_fail}
    assert must_fail <= result.failed_files
