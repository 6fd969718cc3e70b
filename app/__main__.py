"""``python -m app`` does what the ``article-curator`` command does."""

import sys

from app.cli import main

sys.exit(main())
