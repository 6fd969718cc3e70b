"""The annotation tools' formats an import reads (``formats``), by name: for the command line's
parser, which should not load the readers (nor logging) to offer the choice."""

FORMAT_NAMES = ("labelstudio", "brat", "conll", "prodigy")
