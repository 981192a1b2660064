"""Training (needs the ``train`` extra: ``pip install '.[train]'`` from a clone of emoscope).

Recipes: :mod:`.goemotions`, :mod:`.custom`, :mod:`.frozen`, :mod:`.meld`, :mod:`.heads`,
:mod:`.multilingual`, :mod:`.distill`, :mod:`.calibrate`, :mod:`.encoder`; their settings are the
dataclasses of :mod:`.arguments`.  Shared pieces: :mod:`.trainer` (fine-tuning), :mod:`.export`
and :mod:`.graph` (ONNX), :mod:`.builder` (graph, blend and thresholds chosen on dev),
:mod:`.features` (frozen features and ridge heads), :mod:`.lexical` (the TF-IDF head).
"""

from .arguments import (ClassifierArguments, CustomArguments, DistillArguments, FineTuneArguments, FrozenArguments,
                        GoEmotionsArguments, HeadsArguments, MeldArguments, MultilingualArguments, RidgeArguments,
                        TrainingArguments)

__all__ = ["TrainingArguments", "FineTuneArguments", "ClassifierArguments", "GoEmotionsArguments", "MeldArguments",
           "CustomArguments", "DistillArguments", "RidgeArguments", "FrozenArguments", "HeadsArguments",
           "MultilingualArguments"]
