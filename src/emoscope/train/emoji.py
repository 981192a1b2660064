"""Emoji beside words (``emoscope train emoji``): one logit offset per GoEmotions label, added to
a label's calibrated score when an emoji or emoticon in the text means that label.

GoEmotions annotators label what a text's words say; an emoji next to them moves the labels less
than its meaning suggests (``:)`` goes with ``gratitude`` in 117 of its 417 train texts), so
writing emoji as words overshoots (docs/models.md).  Here the data says how far: for each label
``L`` the score of a text whose emoji mean ``L`` (:func:`emoscope.text.normalize.emoji_labels`)
becomes ``sigmoid(logit(score) + w_L)``, with ``w_L`` fitted on the GoEmotions **train** texts
that have such emoji, by log loss with the model's calibrated scores as the starting point.  Each
``w_L`` is a shared offset plus a label's own part, the latter penalised, so a label whose emoji
are rare in train (😡 anger, 😱 fear) keeps the shared offset and a common one (😂 amusement)
gets its own.  The penalty is chosen by 5-fold cross-validated log loss on those train texts;
dev and test are only reported.  Needs only the runtime (no torch).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np

from ..calibration import logit, shift_logits
from ..card import CardSection, CardTable
from ..data.goemotions import read_goemotions
from ..evaluate import goemotions_payload
from ..metrics import multilabel_report
from ..persistence import EMOJI_WEIGHTS_FILE, write_emoji_weights
from ..text.model import EmotionModel
from .calibrate import record_on_card
from ..text.normalize import emoji_labels

PENALTIES = (0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
FOLDS = 5
METHOD = ("a logit offset per label, added to the calibrated score of a text whose emoji or emoticons "
          "beside its words mean that label; fitted on the GoEmotions train texts with such emoji "
          "(the model's scores as the starting point), each label's offset a shared one plus its own "
          "part, that part's L2 penalty chosen by 5-fold cross-validated log loss on those texts")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60, 60)))


def _newton_offset(start: np.ndarray, x: np.ndarray, gold: np.ndarray, penalty: float,
                   base: float = 0.0) -> float:
    """The ``w`` minimising the log loss of ``sigmoid(start + (base + w) * x)`` plus ``penalty * w² / 2``."""
    w = 0.0
    for _ in range(50):
        p = _sigmoid(start + (base + w) * x)
        gradient = float((x * (p - gold)).sum()) + penalty * w
        curvature = float((x * x * p * (1 - p)).sum()) + penalty
        step = gradient / curvature
        w -= step
        if abs(step) < 1e-9:
            break
    return w


def fit_emoji_offsets(scores: np.ndarray, emoji: np.ndarray, gold: np.ndarray,
                      penalty: float) -> tuple[np.ndarray, float]:
    """Per-label offsets (and the shared one) for calibrated ``scores`` (n, k), emoji meanings
    ``emoji`` (n, k; 1 where an emoji means the label) and ``gold`` (n, k booleans)."""
    start = logit(np.asarray(scores, dtype=np.float64))
    x, y = np.asarray(emoji, dtype=np.float64), np.asarray(gold, dtype=np.float64)
    shared = _newton_offset(start.ravel(), x.ravel(), y.ravel(), penalty=1e-2)
    own = [_newton_offset(start[:, j], x[:, j], y[:, j], penalty, base=shared) for j in range(x.shape[1])]
    return (shared + np.array(own)).astype(np.float32), shared


def log_loss(scores: np.ndarray, gold: np.ndarray) -> float:
    p = np.clip(np.asarray(scores, dtype=np.float64), 1e-7, 1 - 1e-7)
    return float(-(gold * np.log(p) + (~gold) * np.log1p(-p)).sum())


def choose_penalty(scores: np.ndarray, emoji: np.ndarray, gold: np.ndarray,
                   penalties: Sequence[float] = PENALTIES, folds: int = FOLDS,
                   seed: int = 0) -> tuple[float, dict[float, float]]:
    """The penalty with the lowest cross-validated log loss, and each penalty's loss (without
    offsets: key ``"none"``)."""
    fold = np.random.default_rng(seed).integers(0, folds, len(scores))
    losses: dict = {"none": log_loss(scores, gold)}
    for penalty in penalties:
        total = 0.0
        for f in range(folds):
            train, held = fold != f, fold == f
            weights, _ = fit_emoji_offsets(scores[train], emoji[train], gold[train], penalty)
            total += log_loss(shift_logits(scores[held], emoji[held] * weights), gold[held])
        losses[penalty] = total
    best = min(penalties, key=lambda penalty: losses[penalty])
    return best, losses


def present_macro_f1(gold: np.ndarray, predicted: np.ndarray, labels: Sequence[str]) -> float:
    """Macro-F1 over the labels that occur in ``gold`` (a subset of texts lacks some labels)."""
    report = multilabel_report(gold, predicted, list(labels))
    present = gold.any(axis=0)
    return float(np.mean([s.f1 for s, p in zip(report.per_label, present) if p]))


def emoji_rows(model: EmotionModel, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The indices of ``texts`` with emoji beside words that mean a label, and their meanings (the
    model must have emoji weights, so its component scores carry them)."""
    candidates = np.array([i for i, text in enumerate(texts) if emoji_labels(text)], dtype=np.int64)
    if not len(candidates):
        return candidates, np.zeros((0, len(model.labels)), dtype=np.float32)
    meanings = model.component_scores([texts[i] for i in candidates]).emoji
    keep = meanings.any(axis=1)
    return candidates[keep], meanings[keep]


def train_emoji_offsets(directory: Path, data_dir: Path, *, command: str = "",
                        num_threads: Optional[int] = None, seed: int = 0,
                        progress: Callable[[str], None] = print) -> dict:
    """Fit the emoji offsets of the GoEmotions model in ``directory`` on GoEmotions train (in
    place); its card gets the method, the chosen penalty, the offsets and dev and test before
    and after."""
    directory = Path(directory)
    splits = {split: read_goemotions(data_dir, split) for split in ("train", "dev", "test")}
    write_emoji_weights(directory, [], [])  # offsets of 0: the model marks emoji and adds nothing
    model = EmotionModel.load(directory, num_threads=num_threads)
    rows, meanings, before = {}, {}, {}
    for split, data in splits.items():
        rows[split], meanings[split] = emoji_rows(model, data.texts)
        before[split] = model.predict_proba([data.texts[i] for i in rows[split]])
        progress(f"{split}: {len(rows[split])} of {len(data)} texts have emoji beside words that mean a label")
    train_gold = splits["train"].targets[rows["train"]].astype(bool)
    penalty, losses = choose_penalty(before["train"], meanings["train"], train_gold, seed=seed)
    weights, shared = fit_emoji_offsets(before["train"], meanings["train"], train_gold, penalty)
    write_emoji_weights(directory, model.labels, weights)

    # read back: the card's numbers are those of the offsets as stored (rounded), as evaluate sees them
    model = EmotionModel.load(directory, num_threads=num_threads)
    weights = model.emoji_weights
    record = {"method": METHOD, "penalty": penalty, "shared_offset": round(shared, 4),
              "cv_log_loss": {str(k): round(v, 2) for k, v in losses.items()},
              "texts": {split: int(len(rows[split])) for split in splits}, "command": command}
    for split in ("dev", "test"):
        gold = splits[split].targets[rows[split]].astype(bool)
        after = shift_logits(before[split], meanings[split] * weights)
        record[split] = {"before": present_macro_f1(gold, model.decide(before[split]), model.labels),
                         "after": present_macro_f1(gold, model.decide(after), model.labels)}
        progress(f"{split} texts with emoji beside words: macro-F1 (labels present) "
                 f"{record[split]['before']:.4f} -> {record[split]['after']:.4f}")
    test_payload = goemotions_payload(model, splits["test"], "test")
    dev_payload = goemotions_payload(model, splits["dev"], "dev")
    record_on_card(directory, "emoji", record, emoji_section(record, dict(zip(model.labels, weights))),
                   test_payload, dev_payload, after="Calibration", facts={"Emoji beside words": (
                       f"a logit offset per label an emoji means ({EMOJI_WEIGHTS_FILE}, fitted on GoEmotions "
                       f"train): texts with such emoji, macro-F1 over the labels present, dev "
                       f"{record['dev']['before']:.4f} -> {record['dev']['after']:.4f}, test "
                       f"{record['test']['before']:.4f} -> {record['test']['after']:.4f}")})
    progress(f"penalty {penalty} (cross-validated on train); test macro-F1 {test_payload['macro_f1']:.4f}")
    return {**record, "weights": dict(zip(model.labels, map(float, weights))),
            "test_macro_f1": test_payload["macro_f1"]}


def emoji_section(record: dict, weights: dict) -> CardSection:
    r = record
    lines = [f"{r['method']}.", "",
             f"- Train texts with emoji beside words that mean a label: {r['texts']['train']}; "
             f"penalty {r['penalty']} (5-fold CV log loss), shared offset {r['shared_offset']:+.2f}",
             f"- Test texts with such emoji ({r['texts']['test']}): macro-F1 over the labels present "
             f"**{r['test']['after']:.4f}**, without the offsets {r['test']['before']:.4f} (test only reported)",
             f"- Dev ({r['texts']['dev']}): {r['dev']['after']:.4f}, without {r['dev']['before']:.4f}"]
    if r.get("command"):
        lines.append(f"- Command: `{r['command']}`")
    table = CardTable(["label", "offset"], [[label, f"{w:+.2f}"] for label, w in weights.items() if w])
    return CardSection("Emoji beside words", lines, [table])
