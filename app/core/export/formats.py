"""The export formats and defaults, without the exporter's imports.

The command line's ``--help`` lists them; reading them must not load the database layer.
"""

from __future__ import annotations

FORMATS = ("native", "spacy", "doccano", "claims", "claimreview", "labelstudio", "conll", "hf", "spacy-docbin")
CLAIM_FORMATS = ("claims", "claimreview")  # one record per claim, not per article
# The token-level formats (app/core/export/token_formats.py): how a span that does not fall on
# token boundaries is placed, and the tag scheme of conll and hf.
TOKEN_FORMATS = ("conll", "hf", "spacy-docbin")
ALIGN_MODES = ("expand", "contract", "strict")
SCHEMES = ("bio", "biluo")
SPLIT_NAMES = ("train", "dev", "test")
DEFAULT_SEED = 13  # the split's seed when none is given: the same split every time
