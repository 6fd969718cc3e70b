"""Qt-free core: store access, import, export, search. Used by the CLI, the GUI and tests."""
