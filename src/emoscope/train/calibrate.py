"""Calibration on dev: per-label Platt scaling of a multi-label model's blended scores, then
thresholds chosen again on the calibrated dev scores (``emoscope train calibrate``, and the last
step of ``train goemotions``).  Needs only the runtime (no torch)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

from ..calibration import fit_platt
from ..card import CardSection, ModelCard
from ..data.labelled import LabelledTexts
from ..data.goemotions import read_goemotions
from ..evaluate import describe, goemotions_payload
from ..metrics import expected_calibration_error, tune_thresholds
from ..persistence import remove_calibration, write_calibration, write_thresholds
from ..text.model import EmotionModel

ECE_BINS = 15
METHOD = ("per-label Platt scaling (temperature and bias on the logit of the blended score), fitted on "
          "the dev split; thresholds chosen again on the calibrated dev scores")


def calibrate_on_dev(directory: Path, dev: LabelledTexts, *, num_threads: Optional[int] = None) -> dict:
    """Fit and save the calibration and the thresholds of the model in ``directory`` on ``dev``;
    returns the method and the dev expected calibration error before and after."""
    directory = Path(directory)
    remove_calibration(directory)  # fit on the uncalibrated scores
    model = EmotionModel.load(directory, num_threads=num_threads)
    parts = model.component_scores(dev.texts)
    raw = model.blend(parts, calibrated=False)
    a, b = fit_platt(raw, dev.targets)
    write_calibration(directory, model.labels, a, b)
    model = EmotionModel.load(directory, num_threads=num_threads)
    calibrated = model.blend(parts)
    write_thresholds(directory, model.labels, tune_thresholds(dev.targets, calibrated))
    return {"method": METHOD, "bins": ECE_BINS,
            "dev_ece_before": expected_calibration_error(raw, dev.targets, ECE_BINS),
            "dev_ece_after": expected_calibration_error(calibrated, dev.targets, ECE_BINS)}


def calibration_section(calibration: dict) -> CardSection:
    c = calibration
    lines = [f"{c['method']}.", "",
             f"- Expected calibration error ({c['bins']} bins, every label score) on test "
             f"**{c['test_ece_after']:.4f}**, before calibration {c['test_ece_before']:.4f} (test only reported)",
             f"- On dev (where it was fitted): {c['dev_ece_after']:.4f}, before {c['dev_ece_before']:.4f}"]
    if c.get("command"):
        lines.append(f"- Command: `{c['command']}`")
    return CardSection("Calibration", lines)


def record_on_card(directory: Path, key: str, record: dict, section: CardSection, test_payload: dict,
                   dev_payload: dict, *, facts: Optional[dict] = None, after: Optional[str] = None) -> None:
    """A step run on a GoEmotions model in place, written on its card (when it has one): the
    step's record (``card.extra[key]``) and section, the re-measured test metrics and dev fact."""
    card = ModelCard.load(directory)
    if card is None:
        return
    card.extra[key] = record
    card.add_metrics(test_payload, describe(test_payload))
    card.facts["Dev (where thresholds and calibration were fitted)"] = (
        f"GoEmotions macro-F1 {dev_payload['macro_f1']:.4f}, micro-F1 {dev_payload['micro_f1']:.4f}")
    card.facts.update(facts or {})
    card.set_section(section, after=after)
    card.save(directory)


def calibrate_goemotions_model(directory: Path, data_dir: Path, *, command: str = "",
                               num_threads: Optional[int] = None, max_eval_samples: Optional[int] = None,
                               progress: Callable[[str], None] = print) -> dict:
    """Calibrate a GoEmotions model in place on GoEmotions dev; its card gets the calibration and
    the re-measured dev and test metrics."""
    directory = Path(directory)
    dev, test = (read_goemotions(data_dir, s).head(max_eval_samples) for s in ("dev", "test"))
    progress(f"calibrating on {len(dev)} dev texts")
    calibration = calibrate_on_dev(directory, dev, num_threads=num_threads)
    model = EmotionModel.load(directory, num_threads=num_threads)
    test_payload, dev_payload = goemotions_payload(model, test, "test"), goemotions_payload(model, dev, "dev")
    calibration.update({"test_ece_before": test_payload["ece_uncalibrated"],
                        "test_ece_after": test_payload["ece"], "command": command})
    record_on_card(directory, "calibration", calibration, calibration_section(calibration), test_payload, dev_payload)
    progress(f"test ECE {calibration['test_ece_before']:.4f} -> {calibration['test_ece_after']:.4f}; "
             f"test macro-F1 {test_payload['macro_f1']:.4f}")
    return {**calibration, "test_macro_f1": test_payload["macro_f1"]}
