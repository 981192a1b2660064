"""Model cards: a JSON record of measured numbers, rendered to Markdown."""

from __future__ import annotations

import json
from pathlib import Path

CARD_JSON = "model_card.json"
CARD_MD = "README.md"


def _table(rows, header) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def render_model_card(card: dict) -> str:
    test = card["metrics"]["test"]
    out = [f"# {card['name']}", "", card["task"] + ".", "",
           f"- Base model: {card['base_model']}", f"- Architecture: {card['architecture']}",
           f"- Encoder weight in the blend: {card['encoder_weight']}",
           f"- Thresholds: {card['thresholds']}", f"- Long texts: {card['long_texts']}",
           f"- Shipped graph: {card['quantization']['shipped']}"]
    if card.get("inference"):
        out.append(f"- Inference: {card['inference']}")
    out += ["",
           "## Test results (GoEmotions test split, thresholds from dev)", "",
           f"- **macro-F1 {test['macro_f1']:.4f}**, micro-F1 {test['micro_f1']:.4f} over "
           f"{len(test['per_label'])} labels, {test['n_texts']} texts"]
    for name, rollup in test["rollups"].items():
        out.append(f"- {name} rollup: macro-F1 {rollup['macro_f1']:.4f}, micro-F1 {rollup['micro_f1']:.4f}")
    out.append(f"- Components alone (test macro-F1): " + ", ".join(
        f"{k} {v}" for k, v in card["components_test_macro_f1"].items()))
    out.append("- Quantization: " + ", ".join(
        f"{k} {v}" for k, v in card["quantization"].items() if k != "shipped"))
    out += ["", "### Per label", ""]
    out += _table([(s["label"], f"{s['precision']:.3f}", f"{s['recall']:.3f}", f"{s['f1']:.3f}",
                    s["support"]) for s in test["per_label"]],
                  ("label", "precision", "recall", "F1", "support"))
    for name, rollup in test["rollups"].items():
        out += ["", f"### {name} rollup", ""]
        out += _table([(s["label"], f"{s['precision']:.3f}", f"{s['recall']:.3f}", f"{s['f1']:.3f}",
                        s["support"]) for s in rollup["per_label"]],
                      ("category", "precision", "recall", "F1", "support"))
    training, data = card["training"], card["data"]
    out += ["", "## Training", "", f"- Data: {data['dataset']}; train {data['train']}, "
            f"dev {data['dev']}, test {data['test']} texts",
            f"- Command: `{training['command']}`", f"- Seed: {training['seed']}",
            f"- Device: {training['device']}; fine-tuning {training['fine_tune_seconds']} s, "
            f"whole run {training['wall_seconds']} s",
            f"- Arguments: `{json.dumps(training['arguments'])}`", ""]
    return "\n".join(out)


def write_model_card(directory: Path, card: dict) -> None:
    (directory / CARD_JSON).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    (directory / CARD_MD).write_text(render_model_card(card), encoding="utf-8")


def read_model_card(directory: Path) -> dict | None:
    path = Path(directory) / CARD_JSON
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
