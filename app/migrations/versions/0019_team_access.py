"""Who may read and change what on a team server: group roles, grants, row-level security.

Revision ID: 0019
Revises: 0016
Create Date: 2026-12-03

PostgreSQL only (a dataset file has one user, with every right). The server,
not the app, enforces these rules, so a modified client or a plain ``psql``
session is held to them too. Three group roles (NOLOGIN; a login is made a
member of one by ``article-curator users add``):

- ``curator_annotator`` reads the articles assigned to them (``assignment``)
  and what hangs off them; reads and writes only their own layer
  (``span.annotator = current_user``), their own ``article_status`` rows and
  suggestion rejections; reads labels and entities and may create entities
  (linking a name to a new person) and delete one no layer links to (undoing
  that), but not rename, merge or change them: that changes every layer's links.
- ``curator_reviewer`` reads every article and layer; writes the gold layer
  (``span.annotator = 'gold'``) and their own, the review status
  (``article.status``), their own and the gold layer's statuses, and entities.
- ``curator_admin`` changes everything in the dataset: labels, assignment,
  imports (articles, sources, the import log), every layer.

The owner of the tables (who ran this migration) keeps every right: row-level
security does not apply to a table's owner. The group roles belong to the whole
server (cluster), so they are created only when missing and are left in place
by the downgrade. A table added by a later migration needs its own grants.
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0016"
branch_labels = None
depends_on = None

ANNOTATOR, REVIEWER, ADMIN = "curator_annotator", "curator_reviewer", "curator_admin"
GROUPS = (ANNOTATOR, REVIEWER, ADMIN)



def _assigned(column: str) -> str:
    """Whether the current user is assigned the article ``column`` names: what an annotator may read.

    An uncorrelated IN list, computed once per statement (a hashed subplan): a
    function called per row made an annotator's library of 100,000 articles take
    seconds. The assignment rows an annotator reads are their own (its policy
    below), so this holds under their own row-level security too.
    """
    return f"{column} IN (SELECT a.article_id FROM assignment a WHERE a.annotator = CURRENT_USER::text)"


# Whether no span of any layer links to the entity. SECURITY DEFINER: it runs as the owner, past the
# row-level security that would hide the other layers' links from an annotator.
_UNUSED_FN = (
    "CREATE OR REPLACE FUNCTION curator_entity_unused(ent integer) RETURNS boolean LANGUAGE sql STABLE "
    "SECURITY DEFINER SET search_path = pg_catalog, public AS "
    "'SELECT NOT EXISTS (SELECT 1 FROM public.span s WHERE s.entity_id = ent OR s.claimant_id = ent)'"
)
_OWN = "annotator = CURRENT_USER::text"
_OWN_ASSIGNED = f"{_OWN} AND {_assigned('article_id')}"
_REVIEWED = "annotator IN (CURRENT_USER::text, 'gold')"

# table -> the privileges each group gets (the admin gets ALL on every table listed).
_GRANTS: dict[str, dict[str, str]] = {
    "alembic_version": {ANNOTATOR: "SELECT", REVIEWER: "SELECT"},
    "article": {ANNOTATOR: "SELECT", REVIEWER: "SELECT, UPDATE (status, updated_at)"},
    "article_source": {ANNOTATOR: "SELECT", REVIEWER: "SELECT"},
    "article_signature": {ANNOTATOR: "SELECT", REVIEWER: "SELECT"},
    # The export's ready-made span lists are a cache of dataset files only (app/core/db/span_json.py);
    # it holds every layer, so an annotator never reads it.
    "article_span_json": {REVIEWER: "SELECT"},
    "label": {ANNOTATOR: "SELECT", REVIEWER: "SELECT"},
    "span": {ANNOTATOR: "SELECT, INSERT, UPDATE, DELETE", REVIEWER: "SELECT, INSERT, UPDATE, DELETE"},
    "article_status": {ANNOTATOR: "SELECT, INSERT, UPDATE, DELETE", REVIEWER: "SELECT, INSERT, UPDATE, DELETE"},
    "assignment": {ANNOTATOR: "SELECT", REVIEWER: "SELECT"},
    "suggestion": {ANNOTATOR: "SELECT, INSERT, UPDATE, DELETE", REVIEWER: "SELECT, INSERT, UPDATE, DELETE"},
    "suggestion_rejection": {ANNOTATOR: "SELECT, INSERT, DELETE", REVIEWER: "SELECT, INSERT, DELETE"},
    "entity": {ANNOTATOR: "SELECT, INSERT, DELETE", REVIEWER: "SELECT, INSERT, UPDATE, DELETE"},
    "entity_alias": {ANNOTATOR: "SELECT, INSERT", REVIEWER: "SELECT, INSERT, UPDATE, DELETE"},
    "import_log": {ANNOTATOR: "SELECT", REVIEWER: "SELECT"},
}

# The id sequences each group draws from (span ids come from nextval, see span_edits.reserve_span_ids).
_SEQUENCES: dict[str, tuple[str, ...]] = {
    ANNOTATOR: ("span", "suggestion", "suggestion_rejection", "entity", "entity_alias"),
    REVIEWER: ("span", "suggestion", "suggestion_rejection", "entity", "entity_alias"),
    ADMIN: ("article", "label", "span", "suggestion", "suggestion_rejection", "entity", "entity_alias",
            "import_log"),
}

# (table, policy, command, group, USING, WITH CHECK or None for the same). Permissive policies add up,
# so a login in two groups has the rights of both. An annotator's own rows are read by their name alone
# (a statement reads each row's status once per article: an assignment check there cost seconds); what
# they write must also be in an article assigned to them.
_POLICIES: list[tuple[str, str, str, str, str, str | None]] = [
    ("article", "article_assigned", "SELECT", ANNOTATOR, _assigned("id"), None),
    ("article", "article_review", "ALL", REVIEWER, "true", None),
    ("article_source", "article_source_assigned", "SELECT", ANNOTATOR, _assigned("article_id"), None),
    ("article_signature", "article_signature_assigned", "SELECT", ANNOTATOR, _assigned("article_id"), None),
    ("import_log", "import_log_assigned", "SELECT", ANNOTATOR, _assigned("article_id"), None),
    ("span", "span_own_layer", "ALL", ANNOTATOR, _OWN, _OWN_ASSIGNED),
    ("span", "span_read_all", "SELECT", REVIEWER, "true", None),
    ("span", "span_gold_layer", "ALL", REVIEWER, _REVIEWED, None),
    ("article_status", "article_status_own", "ALL", ANNOTATOR, _OWN, _OWN_ASSIGNED),
    ("article_status", "article_status_read_all", "SELECT", REVIEWER, "true", None),
    # Labelling in the gold layer starts the article for "gold" too (span_edits._touch).
    ("article_status", "article_status_reviewer_own", "ALL", REVIEWER, _REVIEWED, None),
    ("assignment", "assignment_own", "SELECT", ANNOTATOR, _OWN, None),
    ("assignment", "assignment_read_all", "SELECT", REVIEWER, "true", None),
    ("entity", "entity_read", "SELECT", ANNOTATOR, "true", None),
    ("entity", "entity_create", "INSERT", ANNOTATOR, "true", "true"),
    # An annotator takes back an entity they made (the undo of creating it) while no layer links to it.
    ("entity", "entity_unused", "DELETE", ANNOTATOR, "curator_entity_unused(id)", None),
    ("entity", "entity_review", "ALL", REVIEWER, "true", None),
    ("suggestion", "suggestion_assigned", "ALL", ANNOTATOR, _assigned("article_id"), None),
    ("suggestion", "suggestion_review", "ALL", REVIEWER, "true", None),
    ("suggestion_rejection", "suggestion_rejection_own", "ALL", ANNOTATOR, _OWN, _OWN_ASSIGNED),
    ("suggestion_rejection", "suggestion_rejection_read_all", "SELECT", REVIEWER, "true", None),
    ("suggestion_rejection", "suggestion_rejection_reviewer_own", "ALL", REVIEWER, _OWN, None),
]
_RLS_TABLES = sorted({table for table, *_ in _POLICIES})


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if not _postgres():
        return
    for group in GROUPS:
        # Roles belong to the server: another dataset on it may have made them already.
        op.execute(f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{group}') "
                   f"THEN CREATE ROLE {group} NOLOGIN; END IF; END $$")
        op.execute(f"GRANT USAGE ON SCHEMA public TO {group}")
    op.execute(_UNUSED_FN)
    for table, grants in _GRANTS.items():
        for group, privileges in grants.items():
            op.execute(f"GRANT {privileges} ON {table} TO {group}")
        op.execute(f"GRANT ALL ON {table} TO {ADMIN}")
    for group, tables in _SEQUENCES.items():
        for table in tables:
            op.execute(f"DO $$ BEGIN EXECUTE format('GRANT USAGE ON SEQUENCE %s TO {group}', "
                       f"pg_get_serial_sequence('{table}', 'id')); END $$")
    for table in _RLS_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {table}_admin ON {table} FOR ALL TO {ADMIN} USING (true) WITH CHECK (true)")
    for table, name, command, group, using, check in _POLICIES:
        with_check = f" WITH CHECK ({check or using})" if command in ("ALL", "INSERT", "UPDATE") else ""
        # An INSERT policy has only a check: no rows are read.
        using_clause = "" if command == "INSERT" else f" USING ({using})"
        op.execute(f"CREATE POLICY {name} ON {table} FOR {command} TO {group}{using_clause}{with_check}")


def downgrade() -> None:
    if not _postgres():
        return
    for table, name, *_ in _POLICIES:
        op.execute(f"DROP POLICY IF EXISTS {name} ON {table}")
    for table in _RLS_TABLES:
        op.execute(f"DROP POLICY IF EXISTS {table}_admin ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    for group in GROUPS:
        op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {group}")
        op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {group}")
    op.execute("DROP FUNCTION IF EXISTS curator_entity_unused(integer)")
