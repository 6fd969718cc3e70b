"""Article Curator: build labelled training sets from news articles."""

__version__ = "0.1.0"
APP_NAME = "article-curator"
