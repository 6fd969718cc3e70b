"""The import log may record items as "cancelled" (cut short by the user; they can be retried).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import warnings

from alembic import op
from sqlalchemy.exc import SAWarning

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

OLD = "outcome IN ('imported', 'duplicate', 'failed')"
NEW = "outcome IN ('imported', 'duplicate', 'failed', 'cancelled')"


def _replace_check(condition: str) -> None:
    # SQLite cannot alter a CHECK constraint: batch mode copies the table into a new one.
    # It reflects the article table that import_log refers to, whose index on length(text)
    # (0006) SQLAlchemy cannot read back; the copy does not need it, so say nothing.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index", SAWarning)
        with op.batch_alter_table("import_log", recreate="always") as batch:
            batch.drop_constraint("ck_import_outcome", type_="check")
            batch.create_check_constraint("ck_import_outcome", condition)


def upgrade() -> None:
    _replace_check(NEW)


def downgrade() -> None:
    op.execute("DELETE FROM import_log WHERE outcome = 'cancelled'")
    _replace_check(OLD)
