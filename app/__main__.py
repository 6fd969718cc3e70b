"""``python -m app`` does what the ``article-curator`` command does."""

import sys

if __name__ == "__main__":
    if getattr(sys, "frozen", False):
        # First of all: in a frozen build an extraction worker (multiprocessing
        # "spawn") starts this program again, and must run the worker, not the app.
        # Only there: loading multiprocessing costs a command line ~10 ms.
        import multiprocessing

        multiprocessing.freeze_support()
    from app.cli import main

    sys.exit(main())
