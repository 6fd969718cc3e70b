"""People, organisations and claims as records across articles.

``matching`` normalises names and proposes entities for a span's text;
``registry`` creates and edits entities and their aliases; ``linking`` links
spans to entities, merges and splits them; ``queries`` lists entities and their
mentions for a view or the command line; ``history`` takes any of these edits
back; ``claimant`` proposes who made a claim. Every edit returns a ``Changes``
record that holds what its undo needs.
"""
