"""Calibrate a GoEmotions-style model on dev: fit per-label Platt scaling, choose thresholds again
on the calibrated dev scores, and record ECE before and after, and the re-measured test metrics,
in its card.  Needs only the runtime (no torch)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Optional

from ..calibration import expected_calibration_error, fit_platt, save_calibration
from ..card import read_model_card, write_model_card
from ..evaluate import evaluate_model
from ..io.goemotions import read_goemotions
from ..metrics import tune_thresholds
from ..model import THRESHOLDS_FILE, EmotionModel

ECE_BINS = 15


def calibrate_goemotions_model(directory: Path, data_dir: Path, *, command: str = "",
                               num_threads: Optional[int] = None, max_eval_samples: Optional[int] = None,
                               progress: Callable[[str], None] = print) -> dict:
    directory = Path(directory)
    (directory / "calibration.json").unlink(missing_ok=True)  # fit on the uncalibrated scores
    model = EmotionModel.load(directory, num_threads=num_threads)
    dev, test = read_goemotions(data_dir, "dev"), read_goemotions(data_dir, "test")
    if max_eval_samples:  # smoke tests
        for split in (dev, test):
            split.texts, split.targets = split.texts[:max_eval_samples], split.targets[:max_eval_samples]
    progress(f"scoring {len(dev.texts)} dev and {len(test.texts)} test texts")
    dev_parts, test_parts = model.component_scores(dev.texts), model.component_scores(test.texts)
    dev_raw, test_raw = model.blend(dev_parts, calibrated=False), model.blend(test_parts, calibrated=False)
    a, b = fit_platt(dev_raw, dev.targets)
    save_calibration(directory, model.labels, a, b)
    model = EmotionModel.load(directory, num_threads=num_threads)
    dev_cal, test_cal = model.blend(dev_parts), model.blend(test_parts)
    thresholds = tune_thresholds(dev.targets, dev_cal)
    (directory / THRESHOLDS_FILE).write_text(
        json.dumps({l: round(float(t), 4) for l, t in zip(model.labels, thresholds)}, indent=2) + "\n",
        encoding="utf-8")
    model = EmotionModel.load(directory, num_threads=num_threads)
    calibration = {
        "method": "per-label Platt scaling (temperature and bias on the logit of the blended "
                  "score), fitted on the GoEmotions dev split; thresholds chosen again on the "
                  "calibrated dev scores",
        "bins": ECE_BINS,
        "test_ece_before": expected_calibration_error(test_raw, test.targets, ECE_BINS),
        "test_ece_after": expected_calibration_error(test_cal, test.targets, ECE_BINS),
        "dev_ece_before": expected_calibration_error(dev_raw, dev.targets, ECE_BINS),
        "dev_ece_after": expected_calibration_error(dev_cal, dev.targets, ECE_BINS),
        "command": command,
    }
    test_report = evaluate_model(model, test.texts, test.targets)
    dev_report = evaluate_model(model, dev.texts, dev.targets)
    card = read_model_card(directory) or {}
    if card:
        card["calibration"] = calibration
        card["thresholds"] = ("one per label, chosen on the calibrated dev scores to maximise that "
                              "label's F1 (grid 0.02-0.95); a text with no label above threshold "
                              "gets its best label")
        card["metrics"] = {"test": test_report.to_dict(),
                           "dev": {"macro_f1": dev_report.fine.macro_f1, "micro_f1": dev_report.fine.micro_f1}}
        write_model_card(directory, card)
    progress(f"test ECE {calibration['test_ece_before']:.4f} -> {calibration['test_ece_after']:.4f}; "
             f"test macro-F1 {test_report.fine.macro_f1:.4f}")
    return {**calibration, "test_macro_f1": test_report.fine.macro_f1}
