"""The multi-domain default model (``emoscope train fast``; ``EmotionModel.load()``, alias ``fast``).

One MiniLM-L6 encoder, one ONNX pass, heads for every English source here:

- ``logits``: the 28 GoEmotions labels (GoEmotions train), blended with the TF-IDF head,
  calibrated and thresholded on GoEmotions dev, as the GoEmotions recipe does;
- ``basic``: presence of the six basic emotions, learnt from SemEval 2025 Task 11 English (track
  A; no disgust there) and MELD turns (one emotion each, neutral none), with thresholds chosen
  on a held-out tenth of SemEval English train and MELD dev.  The Ekman rollup reports this head,
  so ``neutral`` means "no basic emotion" as those datasets mean it, not "not Reddit";
- ``vad`` and ``intensity``: ridge heads on every layer of the fine-tuned encoder (EmoBank train;
  SemEval track B English train), added by :mod:`.heads`.

The encoder is fine-tuned on GoEmotions and the basic emotions together (:func:`.trainer.
fine_tune_multitask`: every batch holds one dataset's texts).  The graph is quantized statically
(int8 weights and activation scales fixed on training texts), so a text's scores do not depend on
the texts batched beside it and the model runs in batches of 32.  Every choice is made on dev
data; GoEmotions test, SemEval English dev, EmoBank test, track B dev and MELD test only report.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from ..card import CardSection, ModelCard
from ..data import emobank as emobank_data
from ..data import goemotions as goemotions_data
from ..data import meld as meld_data
from ..data import semeval
from ..data.labelled import NOT_ANNOTATED, LabelledTexts
from ..evaluate import EvaluationOptions, describe, evaluate_dataset, goemotions_payload
from ..metrics import masked_macro_f1, tune_thresholds_masked
from ..persistence import HeadSpec, ModelConfig, Task, read_model, write_config
from ..text.context import repair_text
from ..text.encoder import sigmoid
from ..text.model import EmotionModel
from .arguments import FastArguments, HeadsArguments
from .base_models import MINILM, SOURCES, describe_base
from .builder import choose_graph, save_choice, training_record
from .calibrate import calibrate_on_dev, calibration_section
from .export import calibration_feeds, export_checkpoint, freeze_activation_scales
from .heads import train_heads
from .lexical import fit_lexical_head
from .trainer import CHECKPOINT, TrainingTask, fine_tune_tasks_or_reuse

BASIC = ("anger", "disgust", "fear", "joy", "sadness", "surprise")
BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
INFERENCE = ("batches of {n} texts: the int8 graph's activation scales are constants fixed on training "
             "texts (not computed per run), so a text's scores do not depend on the texts beside it")


@dataclass
class MultiDomainData:
    goemotions: tuple[LabelledTexts, LabelledTexts, LabelledTexts]  # train, dev, test
    semeval_train: LabelledTexts  # SemEval English track A train, less the held-out part
    semeval_holdout: LabelledTexts  # chooses the basic thresholds (with MELD dev)
    meld_train: LabelledTexts
    meld_dev: LabelledTexts

    def card_data(self) -> dict:
        """The model card's ``data``: licences and the rows each source gave."""
        train, dev, test = self.goemotions
        return {"datasets": [goemotions_data.LICENCE, semeval.LICENCE, meld_data.LICENCE, emobank_data.LICENCE],
                "goemotions": {"train": len(train), "dev": len(dev), "test": len(test)},
                "semeval_english_train": len(self.semeval_train), "semeval_english_held_out": len(self.semeval_holdout),
                "meld_train": len(self.meld_train), "meld_dev": len(self.meld_dev)}

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for rows in (self.goemotions[0], self.semeval_train, self.meld_train):
            digest.update("\0".join(rows.texts).encode("utf-8", "replace"))
            digest.update(np.ascontiguousarray(rows.targets).tobytes())
        return digest.hexdigest()[:16]


def basic_targets(rows: LabelledTexts) -> tuple[np.ndarray, np.ndarray]:
    """(targets, mask) of the six basic emotions: SemEval track A columns as given (a column the
    language lacks is masked), a MELD turn's one emotion as the only present one (neutral: none)."""
    if rows.task == Task.SINGLE_LABEL:  # MELD
        targets = np.zeros((len(rows), len(BASIC)), dtype=np.float32)
        for i, label in enumerate(np.asarray(rows.labels)[rows.gold]):
            if label in BASIC:
                targets[i, BASIC.index(label)] = 1.0
        return targets, np.ones_like(targets)
    columns = [rows.labels.index(e) for e in BASIC]
    raw = rows.targets[:, columns].astype(np.float32)
    return np.maximum(raw, 0.0), (raw != NOT_ANNOTATED).astype(np.float32)


def read_multidomain(goemotions_dir: Path, track_a: Path, meld_dir: Path, args: FastArguments) -> MultiDomainData:
    goemotions = tuple(goemotions_data.read_goemotions(goemotions_dir, s) for s in ("train", "dev", "test"))
    goemotions = (goemotions[0].head(args.max_train_samples), goemotions[1].head(args.max_eval_samples),
                  goemotions[2].head(args.max_eval_samples))
    english = semeval.read_track_a_file(Path(track_a) / "train" / "eng.csv")
    held = np.random.default_rng(args.seed).random(len(english)) < args.basic_holdout
    meld_train = meld_data.read_meld(meld_dir, "train").head(args.max_train_samples)
    meld_dev = meld_data.read_meld(meld_dir, "dev").head(args.max_eval_samples)
    return MultiDomainData(goemotions, english.subset(~held).head(args.max_train_samples), english.subset(held),
                           meld_train, meld_dev)


def label_and_basic_tasks(data: MultiDomainData, semeval_repeats: int, meld_weight: float = 1.0) -> list[TrainingTask]:
    """The GoEmotions labels (GoEmotions train) and the basic emotions (SemEval English train,
    ``semeval_repeats`` times an epoch; MELD train turns, their loss weighted by ``meld_weight``)."""
    train = data.goemotions[0]
    semeval_targets, semeval_mask = basic_targets(data.semeval_train)
    meld_targets, meld_mask = basic_targets(data.meld_train)
    return [TrainingTask("labels", train.texts, train.targets.astype(np.float32), "bce"),
            TrainingTask("basic", data.semeval_train.texts, semeval_targets, "bce", semeval_mask,
                         repeats=semeval_repeats),
            TrainingTask("basic", [repair_text(t) for t in data.meld_train.texts], meld_targets, "bce", meld_mask,
                         weight=meld_weight)]


def held_out_basic(data: MultiDomainData) -> tuple[list[str], np.ndarray]:
    """The texts that choose the basic head's thresholds (the held-out SemEval rows, then MELD dev)
    and their gold, ``NOT_ANNOTATED`` where an emotion is not annotated."""
    texts = data.semeval_holdout.texts + [repair_text(t) for t in data.meld_dev.texts]
    parts = [basic_targets(data.semeval_holdout), basic_targets(data.meld_dev)]
    return texts, np.concatenate([np.where(mask > 0, targets, NOT_ANNOTATED) for targets, mask in parts])


def _calibration_texts(data: MultiDomainData, n: int, seed: int) -> list[str]:
    """Training texts of every source (never dev or test), in proportion to their use."""
    rng = np.random.default_rng(seed)
    pools = [data.goemotions[0].texts, data.semeval_train.texts, [repair_text(t) for t in data.meld_train.texts]]
    shares = (0.6, 0.2, 0.2)
    return [pool[i] for pool, share in zip(pools, shares)
            for i in rng.choice(len(pool), min(len(pool), int(n * share)), replace=False)]


def choose_basic_thresholds(model_dir: Path, data: MultiDomainData, num_threads: Optional[int]) -> HeadSpec:
    """The basic head's thresholds, each chosen for its F1 on the held-out SemEval rows and MELD dev
    (where the emotion is annotated)."""
    model = EmotionModel.load(model_dir, num_threads=num_threads)
    texts, gold = held_out_basic(data)
    probabilities = model.predict_heads(texts)["basic"]
    thresholds = tune_thresholds_masked(gold, probabilities, fallback=np.full(len(BASIC), 0.5), missing=NOT_ANNOTATED)
    return replace(model.heads["basic"], thresholds=tuple(round(float(t), 4) for t in thresholds))


def train_fast(goemotions_dir: Path, track_a: Path, track_b: Path, emobank: Path, meld_dir: Path, out_dir: Path,
               args: FastArguments, *, progress: Callable[[str], None] = print,
               command: Optional[str] = None) -> ModelCard:
    started = time.perf_counter()
    out_dir = Path(out_dir)
    work = out_dir / "work"
    work.mkdir(parents=True, exist_ok=True)
    data = read_multidomain(goemotions_dir, track_a, meld_dir, args)
    train, dev, test = data.goemotions
    labels = train.labels
    checkpoint = out_dir / CHECKPOINT
    model, info = fine_tune_tasks_or_reuse(checkpoint, label_and_basic_tasks(data, args.semeval_repeats, args.meld_weight), labels, args, progress,
                                           {"recipe": "fast", "data": data.fingerprint()},
                                           extra_heads={"basic": len(BASIC)})
    progress("exporting to ONNX, optimising; int8 with activation scales fixed on training texts")
    fp32, dynamic = export_checkpoint(model, checkpoint, work)
    tokenizer = checkpoint / "tokenizer.json"
    feeds = calibration_feeds(tokenizer, _calibration_texts(data, args.calibration_texts, args.seed), 128)
    int8 = freeze_activation_scales(dynamic, work / "model_int8_static.onnx", feeds, args.calibration_percentile)
    progress("fitting the TF-IDF logistic-regression head")
    lexical = fit_lexical_head(train.texts, train.targets, args)
    basic = basic_head((0.5,) * len(BASIC))
    config = ModelConfig(task=Task.MULTI_LABEL, name=out_dir.name, batch_size=args.inference_batch_size,
                         base_model=BASE_MODEL, heads={"basic": basic}, normalize_emoji=args.normalize_emoji)
    choice = choose_graph(work / "candidates", {"fp32": fp32, "int8": int8}, config=config, labels=labels,
                          tokenizer=tokenizer, lexical=lexical, dev_texts=dev.texts, dev_targets=dev.targets,
                          args=args, progress=progress,
                          int8_kind=f"static: activation scales fixed on {args.calibration_texts} training texts")
    core = work / "core"
    save_choice(core, choice, config=config, labels=labels, tokenizer=tokenizer, lexical=lexical)
    progress("calibrating on GoEmotions dev; basic-emotion thresholds on held-out SemEval and MELD dev")
    calibration = calibrate_on_dev(core, dev, num_threads=args.num_threads)
    files = read_model(core)
    files.config.heads["basic"] = choose_basic_thresholds(core, data, args.num_threads)
    write_config(core, files.config)

    progress("valence-arousal-dominance and intensity heads on the fine-tuned encoder")
    train_heads(core, out_dir, emobank, track_b, HeadsArguments(seed=args.seed, num_threads=args.num_threads),
                progress=progress, command=command)
    built = {"architecture": "MiniLM-L6 encoder fine-tuned on GoEmotions, SemEval 2025 English and MELD together, "
                             "mean pooling; heads: 28 GoEmotions labels (blended with a TF-IDF head), six basic "
                             "emotions, and ridge heads on every layer for VAD and intensity (ONNX, one pass)",
             "encoder_weight": choice.encoder_weight, "graph": choice.describe(), "quantization": choice.to_dict(),
             "choices": "- GoEmotions: graph (int8 or fp32), TF-IDF blend weight and thresholds on GoEmotions dev.\n"
                        "- Basic emotions: thresholds on the held-out tenth of SemEval English train and MELD dev."}
    card = _card(out_dir, data, built, calibration, args, command, started,
                 paths={"goemotions": goemotions_dir, "track_a": track_a, "meld": meld_dir},
                 training=training_record(args, command, started, device=info["device"],
                                          fine_tune_seconds=info["train_seconds"]))
    shutil.rmtree(work, ignore_errors=True)
    progress(f"done in {time.perf_counter() - started:.0f}s; model in {out_dir}")
    return card


EMOJI_FACT = ("texts of emoji and emoticons alone are read as the word of the GoEmotions label each one's train "
              "texts carry most (config normalize_emoji \"meaning\": \U0001F602 lol, \u2764 love, \U0001F62D sad, :( sad; "
              "rarer ones from a hand-written table: \U0001F621 angry, \U0001F631 scared), so \"\U0001F621\U0001F621\U0001F621\" "
              "is not neutral; chosen on GoEmotions dev (issue 21, docs/models.md#emoji-and-emoticons); emoji beside "
              "words move the scores of the labels they mean when `train emoji` has fitted their offsets")


def _card(out_dir: Path, data: MultiDomainData, built: dict, calibration: dict, args: FastArguments,
          command: Optional[str], started: float, paths: dict, training: dict) -> ModelCard:
    """Measure the written model on every held-out set and write its card (the heads recipe
    already recorded EmoBank and track B); ``built`` says how the recipe built it."""
    final = EmotionModel.load(out_dir, num_threads=args.num_threads)
    train, dev, test = data.goemotions
    options = EvaluationOptions(num_threads=args.num_threads, languages=("eng",))
    test_payload = goemotions_payload(final, test, "test")
    dev_payload = goemotions_payload(final, dev, "dev")
    calibration.update({"test_ece_before": test_payload["ece_uncalibrated"], "test_ece_after": test_payload["ece"],
                        "command": command or ""})
    card = ModelCard.load(out_dir)
    heads_record, heads_metrics, heads_sections = card.extra.get("heads"), card.metrics, card.sections
    basic = final.heads["basic"]
    card = ModelCard(
        name=out_dir.name,
        task="multi-domain emotion recognition: the 28 GoEmotions labels, the six basic emotions (the Ekman "
             "rollup), valence-arousal-dominance and intensity, from one encoder pass",
        base_model=built.get("base_model", SOURCES[MINILM]),
        architecture=built["architecture"],
        labels=train.labels,
        facts={"Encoder weight in the blend": str(built["encoder_weight"]),
               "Shipped graph": built["graph"],
               "Thresholds": "one per GoEmotions label, chosen on the calibrated GoEmotions dev scores; a text "
                             "with no label above threshold gets its best label",
               "Ekman rollup": "reported by the basic-emotion head: each emotion at or above its threshold "
                               f"({dict(zip(basic.targets, basic.thresholds))}, chosen on a held-out tenth of "
                               "SemEval English train and MELD dev), neutral when none is",
               "Dev (where thresholds and calibration were fitted)":
                   f"GoEmotions macro-F1 {dev_payload['macro_f1']:.4f}, micro-F1 {dev_payload['micro_f1']:.4f}",
               "Inference": INFERENCE.format(n=args.inference_batch_size),
               "Long texts": "windows of 128 word pieces every 96; emotions take the max over windows, neutral "
                             "the min",
               **({"Emoji": EMOJI_FACT} if final.config.normalize_emoji == "meaning" else {})},
        data=data.card_data(),
        training=training,
        extra={"quantization": built["quantization"], "calibration": calibration, "heads": heads_record,
               **{key: built[key] for key in ("basic", "source") if key in built}})
    card.add_metrics(test_payload, describe(test_payload))
    for dataset, path, split in (("semeval-a", paths["track_a"], "dev"), ("meld", paths["meld"], "test")):
        payload = evaluate_dataset(dataset, path, split=split, model=str(out_dir), options=options)
        card.add_metrics(payload, describe(payload))
    card.set_section(calibration_section(calibration))
    for key, payload in heads_metrics.items():
        card.add_metrics(payload)
    for section in heads_sections:
        if section.title.startswith("Valence"):
            card.set_section(section)
    card.set_section(CardSection("Choices", [
        *built["choices"].split("\n"),
        "- GoEmotions: Platt calibration and thresholds on GoEmotions dev.",
        "- VAD: ridge penalties on EmoBank dev; intensity: 5-fold cross-validation on track B train.",
        "- Reported only: GoEmotions test, SemEval English dev, MELD test, EmoBank test, track B dev."]))
    card.save(out_dir)
    return card


# --- the default model as shipped: a built GoEmotions model kept frozen, a basic head on its layers ---

def basic_head(thresholds) -> HeadSpec:
    """The basic-emotion head's spec: sigmoid scores decided by ``thresholds``, backing the Ekman rollup."""
    return HeadSpec("basic", BASIC, (0.0, 1.0), "max", 0.0, "sigmoid", tuple(thresholds), "ekman")


def basic_texts(data: MultiDomainData) -> dict[str, list[str]]:
    """The texts :func:`fit_basic_head` reads the features of, by the names it reads them under."""
    return {"semeval_train": data.semeval_train.texts, "semeval_holdout": data.semeval_holdout.texts,
            "meld_train": [repair_text(t) for t in data.meld_train.texts],
            "meld_dev": [repair_text(t) for t in data.meld_dev.texts]}


def _basic_features(encoder, data: MultiDomainData) -> dict[str, np.ndarray]:
    from .features import layer_features

    return {name: layer_features(encoder, rows) for name, rows in basic_texts(data).items()}


def _teacher_rows(encoder, data: MultiDomainData, emobank: Path, args: FastArguments, work: Path,
                  progress: Callable[[str], None]) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], dict]:
    """((features, teacher probabilities, annotated), record) of the texts ``args.teacher`` labels
    for the basic head: EmoBank train (news, blogs, fiction, letters) and ``teacher_goemotions_texts``
    GoEmotions train texts drawn with the seed (training texts only; :mod:`.teacher`)."""
    from .features import layer_features
    from .teacher import teacher_targets

    train = data.goemotions[0]
    drawn = np.random.default_rng(args.seed).permutation(len(train))[:args.teacher_goemotions_texts]
    emobank_texts = emobank_data.read_emobank(emobank)["train"].head(args.max_train_samples).texts
    texts = list(dict.fromkeys(list(emobank_texts) + [train.texts[i] for i in drawn]))
    targets, mask = basic_targets(data.semeval_train)
    probabilities, annotated, record = teacher_targets(
        args.teacher, data.semeval_train.texts, targets, mask > 0, texts, args.teacher_alphas, work,
        seed=args.seed, num_threads=args.num_threads, progress=progress)
    return (layer_features(encoder, texts), probabilities, annotated), record


def basic_training_rows(features: dict[str, np.ndarray], data: MultiDomainData,
                        repeats: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features, 0/1 targets, annotated) of the basic head's gold rows: SemEval English train
    ``repeats`` times, then MELD train."""
    semeval_targets, semeval_mask = basic_targets(data.semeval_train)
    meld_targets, meld_mask = basic_targets(data.meld_train)
    x = np.concatenate([features["semeval_train"]] * repeats + [features["meld_train"]])
    y = np.concatenate([semeval_targets] * repeats + [meld_targets])
    return x, y, np.concatenate([semeval_mask] * repeats + [meld_mask]) > 0


def fit_basic_head(features: dict[str, np.ndarray], data: MultiDomainData, args: FastArguments,
                   taught: Optional[tuple[np.ndarray, np.ndarray, np.ndarray]] = None):
    """The basic-emotion head on frozen features: ridge regression on the 0/1 presence of each
    emotion (rows where it is not annotated left out; SemEval English ``semeval_repeats`` times, as
    fine-tuning weighs it), a Platt map folded in so that its sigmoid is a probability; the penalty
    is the one of ``basic_alphas`` with the best macro-F1 on the held-out SemEval rows and MELD dev,
    each emotion at its own best threshold there.  ``taught`` (features, teacher probabilities,
    annotated) adds rows a teacher labelled (:mod:`.teacher`); the Platt map is fitted on the gold
    rows only.  Returns (fit, thresholds, record)."""
    from .features import RidgePath, fit_platt_per_label, fold_platt

    repeats = args.semeval_repeats
    x, y, annotated = basic_training_rows(features, data, repeats)
    gold_rows = len(x)
    if taught is not None:
        x, y = np.concatenate([x, taught[0]]), np.concatenate([y, taught[1]])
        annotated = np.concatenate([annotated, taught[2]])
    held_x = np.concatenate([features["semeval_holdout"], features["meld_dev"]])  # held_out_basic's order
    _, held_gold = held_out_basic(data)
    path = RidgePath(x, y, annotated)
    tried, best = {}, None
    for alpha in args.basic_alphas:
        fit = path.folded([alpha] * len(BASIC))
        fit = fold_platt(fit, *fit_platt_per_label(fit.predict(x[:gold_rows]), y[:gold_rows],
                                                   annotated[:gold_rows]))
        scores = sigmoid(fit.predict(held_x))
        thresholds = tune_thresholds_masked(held_gold, scores, fallback=np.full(len(BASIC), 0.5),
                                            missing=NOT_ANNOTATED)
        f1 = masked_macro_f1(held_gold, scores >= thresholds, NOT_ANNOTATED)
        tried[str(alpha)] = round(f1, 4)
        if best is None or f1 > best[0]:
            best = (f1, alpha, fit, thresholds)
    f1, alpha, fit, thresholds = best
    record = {"method": "ridge regression on every layer of the frozen encoder, Platt-scaled (sigmoid)",
              "ridge_alpha": alpha, "held_out_macro_f1_by_alpha": tried,
              "penalty_and_thresholds_chosen_on": "the held-out tenth of SemEval English train and MELD dev",
              "train": {"semeval_english": len(data.semeval_train), "semeval_repeats": repeats,
                        "meld": len(data.meld_train), "teacher_labelled": len(x) - gold_rows}}
    return fit, tuple(round(float(t), 4) for t in thresholds), record


def train_fast_on_model(source_dir: Path, goemotions_dir: Path, track_a: Path, track_b: Path, emobank: Path,
                        meld_dir: Path, out_dir: Path, args: FastArguments, *, progress: Callable[[str], None] = print,
                        command: Optional[str] = None) -> ModelCard:
    """The default model from a built GoEmotions model (``emoscope train goemotions``) kept frozen:
    its int8 graph made static (activation scales fixed on training texts of every source, so
    batches no longer couple texts), the basic-emotion head fitted on its every layer
    (:func:`fit_basic_head`), calibration and thresholds refitted on GoEmotions dev, VAD and
    intensity heads refitted (:mod:`.heads`).  No fine-tuning: minutes on 2 cores."""
    import onnx

    from ..text.encoder import OnnxTextEncoder
    from .export import LAYERS_OUTPUT
    from .graph import add_layers_output, add_linear_head, core_graph, drop_output
    from .heads import with_graph

    started = time.perf_counter()
    out_dir, source = Path(out_dir), read_model(source_dir)
    work = out_dir / "work"
    work.mkdir(parents=True, exist_ok=True)
    data = read_multidomain(goemotions_dir, track_a, meld_dir, args)
    train, dev, test = data.goemotions
    source_dev = goemotions_payload(EmotionModel.load(source_dir, num_threads=args.num_threads), dev, "dev")

    progress(f"static int8: activation scales of {source_dir} fixed on {args.calibration_texts} training texts")
    feeds = calibration_feeds(source.tokenizer, _calibration_texts(data, args.calibration_texts, args.seed),
                               source.config.max_tokens)
    static = freeze_activation_scales(source.graph, work / "static.onnx", feeds, args.calibration_percentile)
    probe = add_layers_output(core_graph(onnx.load(str(static))))
    onnx.save(probe, str(work / "probe.onnx"))
    encoder = OnnxTextEncoder.from_config(source_dir, replace(source.config, onnx_file=str((work / "probe.onnx").resolve())),
                                          num_threads=args.num_threads, batch_size=args.inference_batch_size)
    progress("encoding SemEval English and MELD with the frozen encoder; fitting the basic-emotion head")
    taught, teacher_record = (_teacher_rows(encoder, data, emobank, args, work, progress) if args.teacher
                              else (None, None))
    fit, thresholds, basic_record = fit_basic_head(_basic_features(encoder, data), data, args, taught)
    if teacher_record:
        basic_record["teacher"] = teacher_record
    graph = drop_output(add_linear_head(probe, "basic", fit.weight, fit.bias), LAYERS_OUTPUT)
    basic = basic_head(thresholds)
    core = work / "core"
    base_model, base_source, encoder_name = describe_base(source.config.base_model)
    source = replace(source, config=replace(source.config, name=out_dir.name, batch_size=args.inference_batch_size,
                                            base_model=base_model, quantized=True,
                                            normalize_emoji=args.normalize_emoji))
    with_graph(source, core, graph, {"basic": basic}, None)
    progress("calibrating on GoEmotions dev")
    calibration = calibrate_on_dev(core, dev, num_threads=args.num_threads)
    static_dev = goemotions_payload(EmotionModel.load(core, num_threads=args.num_threads), dev, "dev")
    progress("valence-arousal-dominance and intensity heads on the frozen encoder")
    train_heads(core, out_dir, emobank, track_b, HeadsArguments(seed=args.seed, num_threads=args.num_threads),
                progress=progress, command=command)
    source_card = ModelCard.load(source_dir)
    quantization = {
        "shipped": "int8 (static)", "int8_kind": f"static: activation scales fixed on {args.calibration_texts} "
                                                 f"training texts (percentile {args.calibration_percentile})",
        "chosen_on": "dev", "source_dynamic_dev_macro_f1": round(source_dev["macro_f1"], 4),
        "static_dev_macro_f1": round(static_dev["macro_f1"], 4)}
    built = {"base_model": base_source,
             "architecture": f"{encoder_name} encoder fine-tuned on GoEmotions (the model given to --on-model, kept "
                             "frozen), mean pooling; heads: 28 GoEmotions labels (blended with a TF-IDF head), "
                             "and on every layer: six basic emotions, VAD and intensity (ONNX, one pass)",
             "encoder_weight": source.config.encoder_weight,
             "graph": f"int8, static (activation scales fixed on {args.calibration_texts} training texts); GoEmotions "
                      f"dev macro-F1 {static_dev['macro_f1']:.4f} after recalibration, {source_dev['macro_f1']:.4f} "
                      "for the source's dynamic int8 run one text at a time",
             "quantization": quantization, "basic": basic_record,
             "source": {"model": str(source_dir), "name": source_card.name if source_card else None,
                        "training": source_card.training if source_card else None},
             "choices": "- Basic emotions: ridge penalty and thresholds on the held-out tenth of SemEval English "
                        "train and MELD dev." + (
                            f"\n- Teacher ({args.teacher}, frozen; {teacher_record['unlabelled_texts']} EmoBank and "
                            "GoEmotions train texts labelled with its probabilities): ridge penalty by 5-fold "
                            "cross-validation on the SemEval English train rows, Platt map on their out-of-fold "
                            "predictions." if teacher_record else "")}
    card = _card(out_dir, data, built, calibration, args, command, started,
                 paths={"goemotions": goemotions_dir, "track_a": track_a, "meld": meld_dir},
                 training=training_record(args, command, started, device="cpu"))
    shutil.rmtree(work, ignore_errors=True)
    progress(f"done in {time.perf_counter() - started:.0f}s; model in {out_dir}")
    return card
