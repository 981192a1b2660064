"""Model cards: a :class:`ModelCard` of measured numbers, saved as JSON and rendered to Markdown.

A card is made by the recipe that trained the model (or by ``emoscope evaluate`` runs on it):

- ``metrics`` holds, per ``"<dataset>/<split>"``, exactly what ``emoscope evaluate --dataset
  <dataset> --split <split> --json`` prints for the model, so every number can be reproduced;
- ``sections`` present numbers as text and tables; they are built from measured numbers by the
  functions that also print evaluations (:mod:`emoscope.evaluate`), never typed in;
- ``facts`` are one-line statements about how the model was made (graph, selection, decision).

:meth:`ModelCard.render` is the one template every card goes through.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence, Union

CARD_JSON = "model_card.json"
CARD_MD = "README.md"
CARD_VERSION = 2


@dataclass
class CardTable:
    columns: list[str]
    rows: list[list[Any]]
    title: str = ""


@dataclass
class CardSection:
    """A titled part of a card (or of an evaluation printed by the CLI): lines, then tables."""

    title: str
    lines: list[str] = field(default_factory=list)
    tables: list[CardTable] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict) -> "CardSection":
        return cls(data["title"], list(data.get("lines", [])),
                   [CardTable(t["columns"], t["rows"], t.get("title", "")) for t in data.get("tables", [])])


@dataclass
class ModelCard:
    name: str
    task: str  # what the model predicts, one sentence
    base_model: str = ""
    architecture: str = ""
    labels: list[str] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)  # rendered as "- Key: value", in order
    metrics: dict[str, dict] = field(default_factory=dict)  # "<dataset>/<split>" -> evaluate's JSON
    sections: list[CardSection] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)  # sources, licences, split sizes
    training: dict[str, Any] = field(default_factory=dict)  # command, seed, arguments, timings
    extra: dict[str, Any] = field(default_factory=dict)  # recipe-specific records (e.g. "heads")
    version: int = CARD_VERSION

    # -- editing --------------------------------------------------------------------------
    def set_section(self, section: CardSection, after: Optional[str] = None) -> None:
        """Add ``section``, replacing one with the same title (kept in its place)."""
        for i, old in enumerate(self.sections):
            if old.title == section.title:
                self.sections[i] = section
                return
        titles = [s.title for s in self.sections]
        self.sections.insert(titles.index(after) + 1 if after in titles else len(titles), section)

    def add_metrics(self, payload: dict, sections: Sequence[CardSection] = ()) -> None:
        """Record an evaluation payload under ``dataset/split`` and its sections."""
        self.metrics[f"{payload['dataset']}/{payload['split']}"] = payload
        for section in sections:
            self.set_section(section)

    # -- storage --------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "ModelCard":
        values = dict(data)
        values["sections"] = [CardSection.from_dict(s) for s in values.get("sections", [])]
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in values.items() if k in known})

    def save(self, directory: Union[str, Path]) -> None:
        directory = Path(directory)
        (directory / CARD_JSON).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        (directory / CARD_MD).write_text(self.render(), encoding="utf-8")

    @classmethod
    def load(cls, directory: Union[str, Path]) -> Optional["ModelCard"]:
        path = Path(directory) / CARD_JSON
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else None

    # -- the one template -----------------------------------------------------------------
    def render(self) -> str:
        task = self.task.rstrip(".")
        out = [f"# {self.name}", "", task[:1].upper() + task[1:] + ".", ""]
        facts = {"Base model": self.base_model, "Architecture": self.architecture, **self.facts}
        out += [f"- {key}: {value}" for key, value in facts.items() if value]
        if self.labels:
            out.append(f"- Labels ({len(self.labels)}): {', '.join(self.labels)}")
        for section in self.sections:
            out += ["", *render_section(section, level=2)]
        if self.data:
            out += ["", "## Data", "", *_bullets(self.data)]
        if self.training:
            out += ["", "## Training", "", *_bullets(self.training)]
        return "\n".join(out).rstrip() + "\n"


def _bullets(record: dict) -> list[str]:
    lines = []
    for key, value in record.items():
        if value is None or value == "" or value == {}:
            continue
        name = key.replace("_", " ")
        shown = (f"`{value}`" if key.endswith("command") else
                 f"`{json.dumps(value)}`" if isinstance(value, (dict, list)) else str(value))
        lines.append(f"- {name[:1].upper() + name[1:]}: {shown}")
    return lines


def markdown_table(table: CardTable) -> list[str]:
    lines = [f"**{table.title}**", ""] if table.title else []
    lines += ["| " + " | ".join(map(str, table.columns)) + " |", "|" + "---|" * len(table.columns)]
    return lines + ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]


def _cell(value: Any) -> str:
    """A number as measured, without padding zeros (0.677, not 0.6770)."""
    return f"{value:.4f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def _paragraphs(lines: Sequence[str]) -> list[str]:
    """Lines as Markdown: each line its own paragraph, consecutive bullets one list."""
    out: list[str] = []
    for i, line in enumerate(lines):
        out.append(line)
        following = lines[i + 1] if i + 1 < len(lines) else None
        if following is not None and line != "" and following != "" and \
                not (line.startswith("- ") and following.startswith("- ")):
            out.append("")
    return out


def render_section(section: CardSection, level: int = 2) -> list[str]:
    out = [f"{'#' * level} {section.title}", ""]
    if section.lines:
        out += [*_paragraphs(section.lines), ""]
    for table in section.tables:
        out += [*markdown_table(table), ""]
    return out[:-1] if out[-1] == "" else out


def read_model_card(directory: Union[str, Path]) -> Optional[dict]:
    """A model directory's card as a dict (``None`` when it has none)."""
    card = ModelCard.load(directory)
    return card.to_dict() if card is not None else None
