"""Checks of the dataset's quality as training data: near copies of an article (near_copies)."""
