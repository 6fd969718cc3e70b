"""How pages are downloaded, and the defaults the settings and the command line take.

Apart from the fetcher so that reading the defaults (the settings, ``--help``) does not
load the HTTP client.
"""

from __future__ import annotations

from dataclasses import dataclass

import app

__all__ = ["DEFAULT_USER_AGENT", "MB", "FetchOptions"]

DEFAULT_USER_AGENT = f"ArticleCurator/{app.__version__} (+https://github.com/article-curator)"

MB = 1024 * 1024  # the unit a person gives the largest page in


@dataclass(frozen=True)
class FetchOptions:
    """How pages are downloaded. The defaults are the app's: the settings and the
    command line take theirs from here."""

    timeout: float = 20.0  # overall deadline per URL: connect, redirects and whole body
    max_bytes: int = 10 * MB  # after content-encoding is undone
    max_redirects: int = 5
    user_agent: str = DEFAULT_USER_AGENT
    concurrency: int = 8  # parallel downloads; read by the importer and make_client
