"""Pearson r of a model's regression heads: valence-arousal-dominance (EmoBank) and intensity
(SemEval 2025 track B)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..card import CardSection, CardTable
from ..errors import ModelLoadError
from ..metrics import pearson_r


def evaluate_head(model, head: str, texts: Sequence[str], targets: np.ndarray) -> dict:
    """Pearson r per target (and their mean) of one of a model's heads (``vad``, ``intensity``),
    ``targets`` columns in the head's order."""
    if head not in model.heads:
        raise ModelLoadError(f"model {model.name!r} has no {head!r} head (see 'emoscope train heads')")
    predicted = model.predict_heads(texts)[head]
    per = {name: round(pearson_r(predicted[:, j], targets[:, j]), 4)
           for j, name in enumerate(model.heads[head].targets)}
    return {"head": head, "n_texts": int(len(texts)), "pearson_r": per,
            "mean_pearson_r": round(float(np.mean(list(per.values()))), 4)}


def describe_head(payload: dict) -> list[CardSection]:
    names = {"emobank": "EmoBank", "intensity": "SemEval 2025 track B English"}
    title = (f"{names.get(payload['dataset'], payload['dataset'])} {payload['split']} "
             f"({payload['n_texts']} texts), {payload['head']} head")
    table = CardTable([*payload["pearson_r"], "mean"],
                      [[*payload["pearson_r"].values(), payload["mean_pearson_r"]]], "Pearson r")
    return [CardSection(title, [f"**mean Pearson r {payload['mean_pearson_r']:.4f}**"], [table])]
