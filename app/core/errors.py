"""Errors the core raises at its boundary, without what raises them.

``InvalidInput`` lives here, not beside the pydantic models of ``validation``
(which re-exports it), so that code that only catches or raises it, such as the
export, does not import pydantic.
"""

from __future__ import annotations


class InvalidInput(ValueError):
    """Input refused at the boundary; ``str()`` says what and why in plain words."""
