"""The settings dialog: who annotates, where suggestions come from, how imports behave, the labels and the
claim verdicts.

Settings are written on OK with ``save_settings`` (atomic) into the same
``Settings`` object the main window holds, so every part of the app sees them;
the gateway announces the changed names on ``changes_applied``. Labels are part
of the dataset rather than the settings and are saved as they are edited (see
``LabelEditor``), each change announced the same way.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.db.store import Store
from app.core.settings import Settings, save_settings, update_settings
from app.core.suggest.spacy_source import (
    DATASET_SOURCE,
    SPACY_PREFIX,
    installed_pipelines,
    source_pipeline,
    spacy_installed,
)
from app.widgets.edits import EditGateway
from app.widgets.icons import icon
from app.widgets.label_editor import LabelEditor
from app.widgets.palette import OUTCOME_COLORS


def _note(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


class SettingsDialog(QDialog):
    GENERAL, IMPORT, LABELS, VERDICTS = range(4)

    def __init__(self, store: Store, settings: Settings, gateway: EditGateway, parent: QWidget | None = None, *,
                 path: Path | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.gateway = gateway
        self.settings = settings
        self._path = path  # None: the user's settings file
        self.setWindowTitle("Settings")
        self.setWindowIcon(icon("settings"))
        self.setMinimumSize(680, 460)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._general_tab(), icon("settings"), "General")
        self.tabs.addTab(self._import_tab(), icon("import"), "Import")
        self.label_editor = LabelEditor(store, gateway)
        self.tabs.addTab(self.label_editor, icon("label.entity"), "Labels")
        self.tabs.addTab(self._verdicts_tab(), icon("label.claim"), "Verdicts")

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {OUTCOME_COLORS['failed']};")
        self.message.hide()

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    # -- tabs ------------------------------------------------------------------------
    def _general_tab(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.annotator_edit = QLineEdit(self.settings.annotator)
        self.annotator_edit.setPlaceholderText(Settings().annotator)  # what an empty field falls back to
        form.addRow("Annotator name:", self.annotator_edit)
        form.addRow("", _note("Stored on every span you make, so that work by several people can be told "
                              "apart and exported separately. Empty means your computer user name."))
        self.source_combo = QComboBox()
        form.addRow("Suggestions from:", self.source_combo)
        self.source_note = _note("")
        form.addRow("", self.source_note)
        self._fill_sources()
        return page

    def _fill_sources(self) -> None:
        """This dataset's labels, and each installed spaCy pipeline; a disabled entry says why there is none."""
        combo = self.source_combo
        combo.addItem("This dataset's labels", DATASET_SOURCE)
        pipelines = installed_pipelines()
        for name in pipelines:
            combo.addItem(f"This dataset's labels + spaCy pipeline {name}", SPACY_PREFIX + name)
        chosen = source_pipeline(self.settings.suggestion_source)
        if chosen is not None and chosen not in pipelines:  # kept as chosen, not silently replaced
            combo.addItem(f"This dataset's labels + spaCy pipeline {chosen} (not installed)", SPACY_PREFIX + chosen)
        note = ("Suggestions are learned from the spans you label. A spaCy pipeline adds the people and "
                "organisations it finds where your labels suggest nothing.")
        if not spacy_installed():
            self._add_disabled_source("spaCy pipelines: spaCy is not installed")
            note += (" To use one, install spaCy (pip install 'article-curator[spacy]') and a pipeline "
                     "(python -m spacy download en_core_web_sm), then reopen Settings.")
        elif not pipelines:
            self._add_disabled_source("spaCy pipelines: none installed")
            note += " To use one, install it (python -m spacy download en_core_web_sm), then reopen Settings."
        self.source_note.setText(note)
        combo.setCurrentIndex(max(combo.findData(self.settings.suggestion_source), 0))

    def _add_disabled_source(self, text: str) -> None:
        self.source_combo.addItem(text, None)
        model = self.source_combo.model()
        assert isinstance(model, QStandardItemModel)  # a combo box's own model
        model.item(self.source_combo.count() - 1).setEnabled(False)

    def _import_tab(self) -> QWidget:
        s = self.settings
        page = QWidget()
        form = QFormLayout(page)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)  # numbers need no full width
        self.timeout_spin = QDoubleSpinBox()
        self.timeout_spin.setRange(1.0, 600.0)
        self.timeout_spin.setDecimals(0)
        self.timeout_spin.setSuffix(" s")
        self.timeout_spin.setValue(s.fetch_timeout)
        form.addRow("Give up on a page after:", self.timeout_spin)
        self.concurrency_spin = QSpinBox()
        self.concurrency_spin.setRange(1, 64)
        self.concurrency_spin.setValue(s.fetch_concurrency)
        form.addRow("Downloads at once:", self.concurrency_spin)
        self.max_mb_spin = QDoubleSpinBox()
        self.max_mb_spin.setRange(0.5, 500.0)
        self.max_mb_spin.setDecimals(1)
        self.max_mb_spin.setSuffix(" MB")
        self.max_mb_spin.setValue(s.fetch_max_mb)
        form.addRow("Largest page to download:", self.max_mb_spin)
        self.workers_spin = QSpinBox()
        self.workers_spin.setRange(0, 64)
        self.workers_spin.setSpecialValueText("Auto (one per processor core)")
        self.workers_spin.setValue(s.extract_workers)
        form.addRow("Extraction processes:", self.workers_spin)
        self.near_copy_spin = QSpinBox()
        self.near_copy_spin.setRange(30, 99)
        self.near_copy_spin.setSuffix(" % alike")
        self.near_copy_spin.setValue(round(s.near_copy_threshold * 100))
        self.near_copy_spin.setToolTip("Articles sharing this share of their 5-word stretches are near copies. "
                                       "Applies to articles imported from now on; `article-curator near-copies "
                                       "--recluster` applies it to the rest.")
        form.addRow("Near copies from:", self.near_copy_spin)
        form.addRow(_note("Fewer downloads at once are kinder to small news sites; fewer extraction "
                              "processes leave more of the computer free while a large import runs."))
        return page

    def _verdicts_tab(self) -> QWidget:
        page = QWidget()
        self.verdict_list = QListWidget()
        self.verdict_list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)  # reorder by dragging
        for verdict in self.settings.verdicts:
            self._add_verdict_item(verdict)
        add = QPushButton("Add")
        add.clicked.connect(self.add_verdict)
        self.remove_verdict_button = QPushButton(icon("delete"), "Remove")
        self.remove_verdict_button.clicked.connect(self.remove_verdict)
        self.remove_verdict_button.setEnabled(False)
        self.verdict_list.itemSelectionChanged.connect(
            lambda: self.remove_verdict_button.setEnabled(bool(self.verdict_list.selectedItems())))
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(self.remove_verdict_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(page)
        layout.addWidget(_note("The verdicts offered for a claim. Double-click one to edit it; drag to reorder. "
                               "Claims keep the verdict they have when it is removed from this list."))
        layout.addWidget(self.verdict_list, 1)
        layout.addLayout(buttons)
        return page

    def _add_verdict_item(self, text: str) -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        self.verdict_list.addItem(item)
        return item

    def add_verdict(self) -> None:
        item = self._add_verdict_item("new verdict")
        self.verdict_list.setCurrentItem(item)
        self.verdict_list.editItem(item)

    def remove_verdict(self) -> None:
        for item in self.verdict_list.selectedItems():
            self.verdict_list.takeItem(self.verdict_list.row(item))

    def verdicts(self) -> list[str]:
        """The list as edited: blanks dropped, each verdict once."""
        out: list[str] = []
        for i in range(self.verdict_list.count()):
            text = self.verdict_list.item(i).text().strip()
            if text and text not in out:
                out.append(text)
        return out

    # -- OK --------------------------------------------------------------------------
    def accept(self) -> None:
        verdicts = self.verdicts()
        if not verdicts:
            self._show_message("Keep at least one verdict: claims need one to choose from.", self.VERDICTS)
            return
        changes = update_settings(
            self.settings,
            annotator=self.annotator_edit.text().strip() or Settings().annotator,
            suggestion_source=self.source_combo.currentData() or DATASET_SOURCE,
            fetch_timeout=float(self.timeout_spin.value()),
            fetch_concurrency=self.concurrency_spin.value(),
            fetch_max_mb=float(self.max_mb_spin.value()),
            extract_workers=self.workers_spin.value(),
            near_copy_threshold=self.near_copy_spin.value() / 100,
            verdicts=verdicts,
        )
        try:
            save_settings(self.settings, self._path)
        except OSError as exc:
            # The values stay in use for this session; only writing them failed.
            self._show_message(f"Could not save the settings: {exc.strerror or exc}.")
            self.gateway.publish(changes, self)
            return
        self.gateway.publish(changes, self)
        super().accept()

    def _show_message(self, text: str, tab: int | None = None) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))
        if tab is not None:
            self.tabs.setCurrentIndex(tab)
