"""Known entities: a registry of people and organisations across articles, and spans linked to them.

``matching`` normalises names and proposes entities for a span's text;
``registry`` creates and edits entities and their aliases; ``linking`` links
spans to entities, merges and splits them; ``queries`` lists entities and their
mentions for a view or the command line; ``history`` takes any of these edits
back. Every edit returns a ``Changes`` record that holds what its undo needs.
"""
