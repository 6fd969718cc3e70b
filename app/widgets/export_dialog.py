"""The export dialog: choose a format, filters, an optional split and a file, then export in the background.

All checking is the core's (``ExportOptions`` refuses bad splits, statuses and
formats); the dialog shows its message inline instead of raising, and never
starts an export it knows will fail.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QPalette
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.cancel import Cancelled, CancelToken
from app.core.db.store import Store
from app.core.errors import InvalidInput
from app.core.export.exporter import (
    ExportError,
    ExportOptions,
    ExportSummary,
    ProgressFn,
    export_jsonl,
    split_paths,
)
from app.core.export.formats import EXTENSIONS, FILE_FILTERS, FORMATS, SPLIT_NAMES, TOKEN_FORMATS, with_extension
from app.core.ops.dataset_info import list_annotators
from app.core.ops.labels import list_labels
from app.core.ops.span_edits import ARTICLE_STATUSES, STATUS_TEXT
from app.core.settings import Settings
from app.core.team.review import GOLD_LAYER
from app.widgets.icons import icon
from app.widgets.palette import OUTCOME_COLORS, label_icon
from app.widgets.tasks import Task, run_task

FORMAT_INFO = {
    "native": ("Native", "Every field and every annotator's spans with attributes; re-imports without loss."),
    "spacy": ("spaCy / Prodigy", "One {text, spans, meta} task per line, as Prodigy and spaCy's char_span read it."),
    "doccano": ("doccano", "One {text, label: [[start, end, LABEL]]} line per article, for doccano's importer."),
    "claims": ("Claims", "One claim per line: text, claimant, verdict, note, date, article and offsets."),
    "claimreview": ("ClaimReview", "A JSON-LD array of schema.org ClaimReview objects, as fact-checkers publish."),
    "labelstudio": ("Label Studio", "One JSON list of tasks, each annotator's spans as pre-annotations to review."),
    "conll": ("CoNLL", "Token and BIO tag columns, a blank line between sentences; entity spans only."),
    "hf": ("Hugging Face", "One {tokens, ner_tags} line per sentence for token classification; entity spans only."),
    "spacy-docbin": ("spaCy DocBin", "A .spacy file for spacy train: entities as doc.ents, claims as spans."),
}
DEFAULT_SPLIT = (0.8, 0.1, 0.1)
LABELS_PER_ROW = 4
ALL_LAYERS = "\u0000all"  # the annotator choice "every layer", unlike any name


def default_destination(store: Store) -> Path:
    # Next to the user's documents, not the dataset: datasets live in a hidden app folder.
    name = store.path.name.split(".")[0] if store.path is not None else "dataset"
    docs = Path.home() / "Documents"
    return (docs if docs.is_dir() else Path.home()) / f"{name}-export{EXTENSIONS[FORMATS[0]]}"


def _split_files_text(fmt: str) -> str:
    ext = EXTENSIONS[fmt]
    return f"One file per split (name.train{ext}, name.dev{ext}, name.test{ext})"


def _note(text: str) -> QLabel:
    """A line of explanation, in the palette's secondary text colour."""
    label = QLabel(text)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary_lines(summary: ExportSummary) -> list[str]:
    """What an export wrote, in a few lines for people."""
    lines = [f"Exported {_plural(summary.articles, 'article')} to {_plural(len(summary.paths), 'file')}."]
    if summary.spans_per_label:
        lines.append("Spans: " + " · ".join(f"{name} {n}" for name, n in summary.spans_per_label.items()))
    else:
        lines.append("No spans matched the filters.")
    if summary.per_split:
        groups = getattr(summary, "per_split_groups", {}) or summary.per_split
        lines.append("Splits: " + " · ".join(f"{name} {n} ({_plural(groups.get(name, n), 'group')})"
                                             for name, n in summary.per_split.items())
                     + ("; no group is in two splits." if not getattr(summary, "straddling_groups", 0) else "."))
    if summary.paths:
        lines.append("Saved as " + ", ".join(p.name for p in summary.paths) + f" in {summary.paths[0].parent}")
    if summary.entities_path is not None:
        lines.append(f"Entities the spans link to: {summary.entities}, in {summary.entities_path.name}")
    return lines + summary.warnings


class ExportDialog(QDialog):
    export_finished = Signal(object)  # ExportSummary, after a successful export

    def __init__(self, store: Store, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.settings = settings
        self._task: Task | None = None
        self._close_when_done = False
        self._confirmed: Path | None = None  # a path whose overwrite the file dialog already confirmed
        self._folder: Path | None = None
        self.setWindowTitle("Export labelled articles")
        self.setWindowIcon(icon("export"))
        self.setMinimumWidth(680)

        layout = QVBoxLayout(self)
        layout.addWidget(self._format_box())
        layout.addWidget(self._filter_box())
        layout.addWidget(self._split_box())
        self.format_group.buttonToggled.connect(self._format_changed)
        layout.addLayout(self._destination_row())

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {OUTCOME_COLORS['failed']};")
        self.message.hide()
        layout.addWidget(self.message)

        self.progress = QProgressBar()
        self.progress.setFormat("%v of %m articles")
        self.progress.setTextVisible(False)
        self.cancel_button = QPushButton(icon("cancel"), "Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        layout.addLayout(progress_row)

        layout.addWidget(self._result_box())

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.ActionRole)
        self.export_button.setIcon(icon("export"))
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.export)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    # -- form ------------------------------------------------------------------------
    def _format_box(self) -> QGroupBox:
        box = QGroupBox("Format")
        grid = QGridLayout(box)
        self.format_group = QButtonGroup(self)
        self.format_buttons: dict[str, QRadioButton] = {}
        for row, fmt in enumerate(FORMATS):
            title, explanation = FORMAT_INFO[fmt]
            button = QRadioButton(title)
            grid.addWidget(button, row, 0)
            grid.addWidget(_note(explanation), row, 1)
            self.format_group.addButton(button)
            self.format_buttons[fmt] = button
        grid.setColumnStretch(1, 1)
        self.format_buttons["native"].setChecked(True)
        return box

    def _filter_box(self) -> QGroupBox:
        box = QGroupBox("Which articles and spans")
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        statuses = QHBoxLayout()
        self.status_checks: dict[str, QCheckBox] = {}
        for status in ARTICLE_STATUSES:
            check = QCheckBox(STATUS_TEXT.get(status, status))
            check.setIcon(icon(f"status.{status}"))
            check.setChecked(True)
            statuses.addWidget(check)
            self.status_checks[status] = check
        statuses.addStretch(1)
        form.addRow("Statuses:", statuses)

        labels = QGridLayout()
        self.label_checks: dict[str, QCheckBox] = {}
        for i, lb in enumerate(list_labels(self.store)):
            check = QCheckBox(lb.name)
            check.setIcon(label_icon(lb.name, lb.kind, lb.color))
            check.setChecked(True)
            check.setToolTip(lb.description)
            labels.addWidget(check, i // LABELS_PER_ROW, i % LABELS_PER_ROW)
            self.label_checks[lb.name] = check
        labels.setColumnStretch(LABELS_PER_ROW, 1)
        form.addRow("Labels:", labels)

        self.annotator_combo = QComboBox()
        names = list_annotators(self.store)
        if GOLD_LAYER in names:  # a reviewer made a gold layer: it is what a training set is made of
            self.annotator_combo.addItem("Gold layer (reviewed)", None)
            self.annotator_combo.addItem("All annotators", ALL_LAYERS)
        else:
            self.annotator_combo.addItem("All annotators", None)
        for name in names:
            if name != GOLD_LAYER:
                self.annotator_combo.addItem(name, name)
        form.addRow("Annotator:", self.annotator_combo)
        return box

    def _split_box(self) -> QGroupBox:
        self.split_box = QGroupBox("Split into train, dev and test")
        self.split_box.setCheckable(True)
        self.split_box.setChecked(False)
        row = QHBoxLayout()
        self.ratio_spins: dict[str, QDoubleSpinBox] = {}
        for name, ratio in zip(SPLIT_NAMES, DEFAULT_SPLIT, strict=True):
            spin = QDoubleSpinBox()
            spin.setRange(0.0, 1.0)
            spin.setSingleStep(0.05)
            spin.setDecimals(2)
            spin.setValue(ratio)
            row.addWidget(QLabel(f"{name.capitalize()}:"))
            row.addWidget(spin)
            self.ratio_spins[name] = spin
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 999_999)
        self.seed_spin.setValue(ExportOptions().seed)
        self.seed_spin.setToolTip("Articles keep their split between exports as long as the seed stays the same.")
        row.addSpacing(12)
        row.addWidget(QLabel("Seed:"))
        row.addWidget(self.seed_spin)
        row.addStretch(1)
        self.group_combo = QComboBox()
        for shown, key in (("Near copies", "cluster"), ("Articles of a site", "site"), ("Nothing", "none")):
            self.group_combo.addItem(shown, key)
        self.group_combo.setToolTip("What stays in one split: the copies of a story by default, so that no story "
                                    "is in train and test at once")
        row.addSpacing(12)
        row.addWidget(QLabel("Keep together:"))
        row.addWidget(self.group_combo)
        self.split_files_check = QCheckBox(_split_files_text(FORMATS[0]))
        inner = QVBoxLayout(self.split_box)
        inner.addLayout(row)
        inner.addWidget(self.split_files_check)
        inner.addWidget(_note("Otherwise each line gets a \"split\" field. With the same seed, an article "
                              "stays in its split."))
        return self.split_box

    def _format_changed(self) -> None:
        # The token formats write one file per split: their lines have no room for a "split" field.
        fmt = self.selected_format()
        token_level = fmt in TOKEN_FORMATS
        if token_level:
            self.split_files_check.setChecked(True)
        self.split_files_check.setEnabled(not token_level)
        self.split_files_check.setText(_split_files_text(fmt))
        # The file takes the format's extension: spacy train, for one, reads only .spacy files.
        text = self.path_edit.text().strip()
        if text:
            self.path_edit.setText(str(with_extension(Path(text), fmt)))

    def _destination_row(self) -> QHBoxLayout:
        self.path_edit = QLineEdit(str(default_destination(self.store)))
        self.path_edit.setAccessibleName("Export file")
        self.browse_button = QPushButton(icon("dataset.open"), "Browse…")
        self.browse_button.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(QLabel("Save to:"))
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.browse_button)
        return row

    def _result_box(self) -> QGroupBox:
        self.result_box = QGroupBox("Result")
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_folder_button = QPushButton(icon("folder"), "Open folder")
        self.open_folder_button.clicked.connect(self.open_folder)
        row = QHBoxLayout(self.result_box)
        row.addWidget(self.result_label, 1)
        row.addWidget(self.open_folder_button)
        self.result_box.hide()
        return self.result_box

    def _browse(self) -> None:
        fmt = self.selected_format()
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.path_edit.text(),
                                              f"{FILE_FILTERS[EXTENSIONS[fmt]]};;All files (*)")
        if path:
            named = with_extension(Path(path), fmt)
            self.path_edit.setText(str(named))
            if named == Path(path):
                self._confirmed = named  # the file dialog asked about overwriting

    # -- reading the form ------------------------------------------------------------
    def selected_format(self) -> str:
        return next(fmt for fmt, b in self.format_buttons.items() if b.isChecked())

    def options(self) -> ExportOptions:
        """The options the form describes; raises InvalidInput with a message for people."""
        statuses = [s for s, c in self.status_checks.items() if c.isChecked()]
        if not statuses:
            raise InvalidInput("Tick at least one status.")
        labels = [n for n, c in self.label_checks.items() if c.isChecked()]
        if self.label_checks and not labels:
            raise InvalidInput("Tick at least one label.")
        annotator = self.annotator_combo.currentData()
        split = None
        if self.split_box.isChecked():
            # Rounded like the spin boxes show them, so 0.7 + 0.2 + 0.1 adds up to exactly 1.
            split = tuple(round(s.value(), 2) for s in self.ratio_spins.values())
        return ExportOptions(
            format=self.selected_format(),
            # Everything ticked means "no filter", so labels and statuses added later are included too.
            statuses=() if len(statuses) == len(self.status_checks) else tuple(statuses),
            labels=() if len(labels) == len(self.label_checks) else tuple(labels),
            annotators=(annotator,) if annotator and annotator != ALL_LAYERS else (),
            all_layers=annotator == ALL_LAYERS,
            split=split,  # type: ignore[arg-type]
            seed=self.seed_spin.value(),
            split_files=bool(split) and self.split_files_check.isChecked(),
            group_by=self.group_combo.currentData(),
        )

    def destination(self) -> Path:
        text = self.path_edit.text().strip()
        if not text:
            raise InvalidInput("Choose where to save the export.")
        path = Path(text).expanduser()
        fmt = self.selected_format()
        if path.is_dir():
            raise InvalidInput(f"{path} is a folder; add a file name such as {with_extension(Path('export'), fmt)}.")
        named = with_extension(path, fmt)
        if named != path:  # a name typed after the format was chosen: written, and shown, as its reader looks for it
            self.path_edit.setText(str(named))
            path = named
        if not path.parent.is_dir():
            raise InvalidInput(f"The folder {path.parent} does not exist.")
        return path

    # -- running ---------------------------------------------------------------------
    def is_busy(self) -> bool:
        return self._task is not None

    def export(self) -> bool:
        """Start the export; False, with the reason shown in the dialog, when the form is not valid."""
        if self.is_busy():
            return False
        try:
            options, path = self.options(), self.destination()
        except InvalidInput as exc:
            self._show_message(str(exc))
            return False
        # The token formats write one file per split whenever there is a split.
        per_split = options.split_files or options.format in TOKEN_FORMATS
        targets = list(split_paths(path).values()) if per_split and options.split else [path]
        existing = [t for t in targets if t.exists() and t != self._confirmed]
        if existing and QMessageBox.question(
            self, "Replace files?", "Replace " + ", ".join(t.name for t in existing) + "?"
        ) != QMessageBox.StandardButton.Yes:
            return False
        self._show_message("")
        self.result_box.hide()
        store = self.store

        def work(progress: ProgressFn, cancel: CancelToken) -> ExportSummary:  # runs on a worker thread
            return export_jsonl(store, path, options, progress=progress, cancel=cancel)

        self.progress.setRange(0, 0)
        self.progress.setTextVisible(True)
        self._task = run_task(work, self._done, self._failed, self._progressed)
        self._set_busy(True)
        return True

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel.cancel()
            self.cancel_button.setEnabled(False)

    def reject(self) -> None:
        # Closing while the export runs cancels it first; the dialog closes once the worker let go.
        if self.is_busy():
            self._close_when_done = True
            self.cancel()
            return
        super().reject()

    def _progressed(self, done: int, total: int, _item: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _done(self, summary: ExportSummary) -> None:
        self._end()
        self.progress.setRange(0, max(summary.articles, 1))
        self.progress.setValue(summary.articles)
        self._folder = summary.paths[0].parent if summary.paths else None
        self.result_label.setText("\n".join(summary_lines(summary)))
        self.result_box.show()
        self.export_finished.emit(summary)
        self._close_if_asked()

    def _failed(self, exc: BaseException) -> None:
        self._end()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setTextVisible(False)
        if isinstance(exc, Cancelled):
            self._show_message("Export cancelled; no file was written or changed.")
        elif isinstance(exc, OSError):
            self._show_message(f"Could not write the export: {exc.strerror or exc}. No file was changed.")
        elif isinstance(exc, ExportError):
            self._show_message(str(exc))
        else:
            self._show_message(f"The export failed: {exc}")
        self._close_if_asked()

    def _end(self) -> None:
        self._task = None
        self._set_busy(False)

    def _close_if_asked(self) -> None:
        if self._close_when_done:
            super().reject()

    def open_folder(self) -> None:
        if self._folder is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._folder)))

    def _set_busy(self, busy: bool) -> None:
        for box in self.findChildren(QGroupBox):
            if box is not self.result_box:
                box.setEnabled(not busy)
        self.path_edit.setEnabled(not busy)
        self.browse_button.setEnabled(not busy)
        self.export_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))
