"""Team annotation: who labelled what, per-annotator statuses, assignment, agreement, adjudication."""
