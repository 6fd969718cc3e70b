"""Normalised forms used to recognise the same article twice."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Query parameters that only track where a click came from.
_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ref|ref_src|igshid|cmpid|ito)$", re.I)


def normalise_for_hash(text: str) -> str:
    """Text reduced to what makes two copies "the same article" (case and spacing ignored)."""
    # is_normalized() is a quick check that spares the copy for the usual, already normal text;
    # split()/join() collapses whitespace exactly like a regex, three times faster.
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split()).casefold()


def text_hash(text: str) -> str:
    return hash_of_normalised(normalise_for_hash(text))


def hash_of_normalised(normalised: str) -> str:
    """``text_hash`` of a text already passed through ``normalise_for_hash`` (which costs more than hashing)."""
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def canonical_url(url: str | None) -> str | None:
    """A URL with its tracking parameters, fragment, default port and case noise removed."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # raises for a port out of range or not a number
    except ValueError:
        return None  # not a URL two copies of an article could share
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address keeps its brackets, or its port would read as part of it
    port = None if port == _DEFAULT_PORTS[scheme] else port
    netloc = f"{host}:{port}" if port else host
    query = parts.query and urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)]
    )
    path = parts.path or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    return urlunsplit((scheme, netloc, path, query, ""))


def page_canonical_url(declared: str | None, page_url: str | None) -> str | None:
    """The address a fetched page names as its own (``<link rel=canonical>``, og:url), when it may be believed.

    It is what makes the same story, reached through a tracking link or a mobile
    address, one article. Believed only on the site that served the page: on the
    same registered domain as ``page_url`` (``m.example.co.uk`` may speak for
    ``www.example.co.uk``, another site may not, or its page would pass for the
    story it names), or on the very same host where there is no registered domain
    (an IP address, ``localhost``). A site's home page is no article's address:
    sites that name it on every page would make all their stories one.
    """
    own = canonical_url(declared)
    fetched = canonical_url(page_url)
    if own is None or fetched is None:
        return None
    parts = urlsplit(own)
    if parts.path == "/" and not parts.query:
        return None
    return own if _site(own) == _site(fetched) else None


def _site(url: str) -> str:
    """The registered domain of a URL (``example.co.uk``), or its host when it has none."""
    from tld import get_fld  # here: it pulls in urllib.request, which only web imports need

    return get_fld(url, fail_silently=True) or urlsplit(url).hostname or url
