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


def _render_training(card: dict, unit: str = "texts") -> list[str]:
    training, data = card["training"], card["data"]
    return ["", "## Training", "", f"- Data: {data['dataset']}; train {data['train']}, "
            f"dev {data['dev']}, test {data['test']} {unit}",
            f"- Command: `{training['command']}`", f"- Seed: {training['seed']}",
            (f"- Device: {training['device']}; fine-tuning {training['fine_tune_seconds']} s, "
             if "fine_tune_seconds" in training else
             f"- Frozen encoder: encoding the texts {training['encode_seconds']} s, ")
            + f"whole run {training['wall_seconds']} s",
            f"- Arguments: `{json.dumps(training['arguments'])}`", ""]


def _render_context_card(card: dict) -> str:
    m = card["metrics"]
    out = [f"# {card['name']}", "", card["task"] + ".", "",
           f"- Base model: {card['base_model']}", f"- Architecture: {card['architecture']}",
           f"- Input: {card['input_format']}", f"- Encoder weight in the blend: {card['encoder_weight']}",
           f"- Selection: {card['selection']}", f"- Inference: {card['inference']}", "",
           "## Test results (MELD test split, text only)", "",
           f"- **weighted-F1 {m['test_weighted_f1']:.4f}** with {card['context_turns']} turns of context",
           f"- weighted-F1 {m['test_weighted_f1_no_context']:.4f} without context: {card['ablation']}",
           f"- dev weighted-F1 {m['dev_weighted_f1']:.4f}; {m['test_turns_per_second']} turns/s",
           "- Quantization: " + ", ".join(f"{k} {v}" for k, v in card["quantization"].items() if k != "shipped"),
           f"- For scale, published text-only results: {m['literature_text_only']}", "",
           "### Per class", ""]
    out += _table([(r["label"], f"{r['f1']:.3f}", r["support"]) for r in m["test_per_class"]],
                  ("label", "F1", "support"))
    return "\n".join(out + _render_training(card, "turns"))


def _render_custom_card(card: dict) -> str:
    key = card["headline_metric"]
    out = [f"# {card['name']}", "", card["task"] + ".", "",
           f"- Base model: {card['base_model']}", f"- Architecture: {card['architecture']}",
           *([f"- Encoder weight in the blend: {card['encoder_weight']}"] if "encoder_weight" in card else []),
           f"- Decision: {card['decision']}",
           (f"- Shipped graph: {card['quantization']['shipped']} ("
            + ", ".join(f"{k} {v}" for k, v in card["quantization"].items() if k != "shipped") + ")"
            if isinstance(card["quantization"], dict) else f"- Graph: {card['quantization']}"),
           *([f"- Selection: {card['selection']}"] if "selection" in card else []),
           f"- Inference: {card['inference']}", "", "## Results", ""]
    for part, m in card["metrics"].items():
        where = m.get("source") or ("out-of-fold predictions of the cross-validation"
                                    if part == "cross_validation" else f"{part} split")
        extra = "".join(f", {k.replace('_', ' ')} {m[k]:.4f}" for k in ("micro_f1", "accuracy", "weighted_f1") if k in m)
        out.append(f"- {where} ({m['n_texts']} texts): **{key.replace('_', ' ')} {m[key]:.4f}**{extra}")
    last = list(card["metrics"].values())[-1]
    out += ["", f"### Per {'target' if 'per_target' in last else 'label'} ({list(card['metrics'])[-1]})", ""]
    if "per_target" in last:
        out += _table([(p["target"], f"{p['pearson_r']:.3f}", f"{p['mae']:.3f}") for p in last["per_target"]],
                      ("target", "Pearson r", "MAE"))
    else:
        out += _table([(p["label"], f"{p['f1']:.3f}", p["support"]) for p in last["per_label"]],
                      ("label", "F1", "support"))
    data = card["data"]
    card = {**card, "data": {**data, "dataset": f"{data['source']} (splits: {data['splits']})"}}
    return "\n".join(out + _render_training(card))


def _render_encoder_card(card: dict) -> str:
    out = [f"# {card['name']}", "", card["task"] + ".", "", f"- Base model: {card['base_model']}",
           f"- Architecture: {card['architecture']}", f"- Command: `{card['command']}`"]
    m = card.get("metrics") or {}
    if m:
        t, d = m["test"], m["dev"]
        out += ["", "## Zero-shot Ekman categories on GoEmotions", "",
                "Only the seven category names and the one-line descriptions below are used; no "
                "GoEmotions text was trained on. Temperature and multi-label ratio were chosen on dev "
                f"(best: T {d['best_temperature']}, ratio {d['best_ratio']}, dev macro-F1 "
                f"{d['best_macro_f1']:.4f}); the library defaults are T {t['temperature']}, ratio {t['ratio']}.", "",
                f"- test ({t['n_texts']} texts): **macro-F1 {t['macro_f1']:.4f}**, micro-F1 {t['micro_f1']:.4f}",
                f"- baseline, always '{t['majority_label']}' (the most frequent dev category): macro-F1 "
                f"{t['majority_baseline_macro_f1']:.4f}",
                f"- baseline, one uniformly random category per text (seed 0): macro-F1 "
                f"{t['random_baseline_macro_f1']:.4f}", ""]
        out += _table([(s["label"], m["descriptions"][s["label"]], f"{s['f1']:.3f}", s["support"])
                       for s in t["per_label"]], ("category", "description", "F1", "support"))
    return "\n".join(out) + "\n"


def _render_multilingual_card(card: dict) -> str:
    dev = card["metrics"]["dev"]
    out = [f"# {card['name']}", "", card["task"] + ".", "",
           f"- Base model: {card['base_model']}", f"- Architecture: {card['architecture']}",
           f"- Vocabulary: {card['vocabulary']}", f"- Quantization: {card['quantization']}",
           f"- Decision: {card['decision']}", f"- Selection: {card['selection']}",
           f"- Limits: {card['limits']}", f"- Size: {card['size_mb']} MB", "",
           "## Official dev split, per language", "",
           f"Macro-F1 over the emotions each language is annotated for (the task's own score), with "
           f"the language's own thresholds. **Mean over {len(dev['languages'])} languages: "
           f"{dev['mean_macro_f1']:.4f}**; with the shared thresholds (language not given) "
           f"{dev['mean_macro_f1_shared_thresholds']:.4f} ({dev['n_texts']} texts, "
           f"{dev['texts_per_second']} texts/s on this run's threads). The emotion columns are F1 with "
           f"the language's thresholds.", ""]
    labels = card["labels"]
    out += _table([(lang, f"{row['macro_f1']:.4f}", f"{row['macro_f1_shared_thresholds']:.4f}", row["n_texts"],
                    *(f"{row['per_label_f1'][l]:.3f}" if l in row["per_label_f1"] else "–" for l in labels))
                   for lang, row in dev["languages"].items()],
                  ("language", "macro-F1", "shared thresholds", "texts", *labels))
    data, training = card["data"], card["training"]
    out += ["", "## Training", "", f"- Data: {data['source']}; {data['train']} training texts in "
            f"{len(data['languages'])} languages; dev {data['dev']} texts",
            f"- Command: `{training['command']}`", f"- Seed: {training['seed']}",
            f"- Encoding the training texts {training['encode_seconds']} s; whole run {training['wall_seconds']} s",
            f"- Arguments: `{json.dumps(training['arguments'])}`", ""]
    return "\n".join(out)


def render_model_card(card: dict) -> str:
    if card.get("multilingual"):
        return _render_multilingual_card(card)
    if card.get("encoder"):
        return _render_encoder_card(card)
    if card.get("custom"):
        return _render_custom_card(card)
    if "test_weighted_f1" in card["metrics"]:
        return _render_context_card(card)
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
    out.append("- Components alone (test macro-F1): " + ", ".join(
        f"{k} {v}" for k, v in card["components_test_macro_f1"].items()))
    out.append("- Quantization: " + ", ".join(
        f"{k} {v}" for k, v in card["quantization"].items() if k != "shipped"))
    if card.get("calibration"):
        c = card["calibration"]
        out.append(f"- Calibration: {c['method']}. Expected calibration error ({c['bins']} bins, every "
                   f"label score) on test **{c['test_ece_after']:.4f}**, before calibration "
                   f"{c['test_ece_before']:.4f} (dev {c['dev_ece_after']:.4f} / {c['dev_ece_before']:.4f}); "
                   f"command `{c['command']}`")
    out += ["", "### Per label", ""]
    out += _table([(s["label"], f"{s['precision']:.3f}", f"{s['recall']:.3f}", f"{s['f1']:.3f}",
                    s["support"]) for s in test["per_label"]],
                  ("label", "precision", "recall", "F1", "support"))
    for name, rollup in test["rollups"].items():
        out += ["", f"### {name} rollup", ""]
        out += _table([(s["label"], f"{s['precision']:.3f}", f"{s['recall']:.3f}", f"{s['f1']:.3f}",
                        s["support"]) for s in rollup["per_label"]],
                      ("category", "precision", "recall", "F1", "support"))
    if card.get("heads"):
        out += _render_heads(card["heads"])
    if card.get("distillation"):
        out += _render_distillation(card["distillation"])
    return "\n".join(out + _render_training(card))


def _render_distillation(distillation: dict) -> list[str]:
    """The multi-task fine-tuning with a teacher (``emoscope train distill``)."""
    teacher = distillation["teacher"]
    base = f"`{distillation['base_checkpoint']}`"
    if distillation.get("base_checkpoint_command"):
        base += f", written by `{distillation['base_checkpoint_command']}`"
    return ["", "## Multi-task fine-tuning with a teacher", "",
            f"- Method: {distillation['method']}",
            f"- Base checkpoint: {base}",
            f"- Teacher: {teacher['base_model']}, frozen, ridge heads on every layer; dev Pearson r "
            f"VAD {teacher['emobank_dev_pearson_r']}, intensity {teacher['intensity_dev_pearson_r']}; "
            f"labelling took {teacher['seconds']} s",
            f"- {distillation['texts']} training texts, {distillation['steps']} steps on "
            f"{distillation['device']} in {distillation['fine_tune_seconds']} s; arguments "
            f"`{json.dumps(distillation['arguments'])}`"]


def _render_heads(heads: dict) -> list[str]:
    """Valence-arousal-dominance and intensity heads (``emoscope train heads``)."""
    vad, intensity = heads["vad"], heads["intensity"]
    out = ["", "## Valence, arousal, dominance and intensity", "",
           f"- Method: {heads['method']}",
           f"- VAD: {vad['data']}; scale {vad['scale']}; {vad['train']} training texts; ridge "
           f"penalty chosen on {vad['penalty_chosen_on']}",
           f"- Intensity: {intensity['data']}; scale {intensity['scale']}; {intensity['train']} "
           f"training texts; ridge penalty chosen by {intensity['penalty_chosen_on']}",
           f"- Command: `{heads['command']}` ({heads['wall_seconds']:.0f} s)", "",
           "### Pearson r", ""]
    rows = [(f"VAD, EmoBank {split}", *(f"{r:.4f}" for r in vad[split]["pearson_r"].values()),
             f"{vad[split]['mean_pearson_r']:.4f}", vad[split]["n_texts"]) for split in ("dev", "test")]
    out += _table(rows, ("", *vad["test"]["pearson_r"], "mean", "texts"))
    dev = intensity["dev"]
    out += [""] + _table([("intensity, SemEval track B English dev",
                           *(f"{r:.4f}" for r in dev["pearson_r"].values()),
                           f"{dev['mean_pearson_r']:.4f}", dev["n_texts"])],
                         ("", *dev["pearson_r"], "mean", "texts"))
    return out


def write_model_card(directory: Path, card: dict) -> None:
    (directory / CARD_JSON).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    (directory / CARD_MD).write_text(render_model_card(card), encoding="utf-8")


def read_model_card(directory: Path) -> dict | None:
    path = Path(directory) / CARD_JSON
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
