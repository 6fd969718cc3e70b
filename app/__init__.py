"""Article Curator: build labelled training sets from news articles."""

__version__ = "0.1.0"
APP_NAME = "article-curator"
# One application id for the desktop entry, the AppStream metainfo, the icon
# file names and Qt's desktop file name.
APP_ID = "io.github.articlecurator.ArticleCurator"
