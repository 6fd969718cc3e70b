"""The export formats and defaults, without the exporter's imports.

The command line's ``--help`` lists them; reading them must not load the database layer.
"""

from __future__ import annotations

FORMATS = ("native", "spacy", "doccano", "claims", "claimreview", "labelstudio")
CLAIM_FORMATS = ("claims", "claimreview")  # one record per claim, not per article
SPLIT_NAMES = ("train", "dev", "test")
DEFAULT_SEED = 13  # the split's seed when none is given: the same split every time
