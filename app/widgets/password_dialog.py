"""Asking for a team server's password in the window (app.core.team.credentials keeps it in the keyring)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QThread
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit


def ask_password(server: str, user: str) -> str | None:
    """The password ``user`` gives for ``server``, or None when they cancel.

    A dialog can only be shown from the GUI thread; the first connection (opening
    the dataset) is made there and the password is then known to the process, so a
    background connection that would have to ask just fails instead.
    """
    app = QCoreApplication.instance()
    if app is None or QThread.currentThread() is not app.thread():
        return None
    password, accepted = QInputDialog.getText(
        QApplication.activeWindow(), "Team server password",
        f"The server {server} asks for the password of {user or 'your login'}.\n"
        "It is kept in this computer's keyring, so it is asked only once.",
        QLineEdit.EchoMode.Password)
    return password if accepted and password else None
