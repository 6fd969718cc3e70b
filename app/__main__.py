"""``python -m app`` does what the ``article-curator`` command does."""

import multiprocessing
import sys

if __name__ == "__main__":
    # First of all: in a frozen build an extraction worker (multiprocessing
    # "spawn") starts this program again, and must run the worker, not the app.
    multiprocessing.freeze_support()
    from app.cli import main

    sys.exit(main())
