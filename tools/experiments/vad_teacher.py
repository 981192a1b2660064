"""A frozen all-mpnet-base-v2 as the teacher of the default model's VAD head (docs/training.md,
"Valence-arousal-dominance and intensity heads").

    python tools/experiments/vad_teacher.py --emobank ../shared/datasets/emobank \
        --goemotions ../shared/datasets/goemotions --work runs/accurate-blend --threads 2

The default model's VAD head is a ridge regression on its frozen MiniLM's layers, fitted on the
8,062 EmoBank train texts; EmoBank test r for dominance (0.403) is under the 0.408 issue 17 asks
to keep.  A larger encoder reads EmoBank better, so it could label texts nobody annotated with
VAD and widen the head's data.  The rule, fixed before any score:

1. teacher: mpnet read as static int8 (``accurate_blend.static_int8_mpnet``; every hidden state
   mean-pooled), a ridge VAD head on EmoBank train, each dimension's penalty on EmoBank dev;
2. it labels GoEmotions **train** texts with VAD;
3. student: ridge on the default model's layers (as ``train heads`` reads them) on EmoBank train
   plus ``u`` teacher-labelled texts, u in 0 (the shipped procedure), 8,000 (drawn with the seed)
   and all 43,410; each dimension's penalty on EmoBank dev;
4. a variant is worth building into ``train heads`` only if its mean EmoBank dev r over V, A, D
   beats u = 0 by 0.01 and its dominance dev r does not fall; test is reported, it decides nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from emoscope.data.emobank import read_emobank
from emoscope.data.goemotions import read_goemotions
from emoscope.metrics import pearson_r
from emoscope.persistence import read_model, resolve_model_dir
from emoscope.text.encoder import OnnxTextEncoder
from emoscope.train.arguments import HeadsArguments
from emoscope.train.features import cached_features, file_digest, fit_ridge, layer_features
from emoscope.train.graph import add_layers_output, core_graph

sys.path.insert(0, str(Path(__file__).parent))
from accurate_blend import static_int8_mpnet  # noqa: E402  (the same teacher graph)

TEACHER_ALPHAS = tuple(float(a) for a in np.logspace(-1, 5, 19))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--emobank", required=True)
    parser.add_argument("--goemotions", required=True)
    parser.add_argument("--model", default="multidomain-minilm", help="the student's model (its layers)")
    parser.add_argument("--work", default="runs/accurate-blend", help="the teacher's graph and feature cache")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    import onnx

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    emobank, goemotions = read_emobank(args.emobank), read_goemotions(args.goemotions, "train")
    graph = static_int8_mpnet(work, goemotions.texts, 800, args.seed)
    teacher = OnnxTextEncoder(graph, work / "tokenizer.json", batch_size=32, num_threads=args.threads)
    texts = list(emobank["train"].texts) + list(emobank["dev"].texts) + list(goemotions.texts)
    rows, features = cached_features(teacher, texts, work / f"features-{file_digest(graph)}",
                                     lambda line: print(line, flush=True))

    def teacher_features(subset):
        return features[[rows[t] for t in subset]].astype(np.float64)

    head = fit_ridge(teacher_features(emobank["train"].texts), emobank["train"].targets, TEACHER_ALPHAS,
                     dev=(teacher_features(emobank["dev"].texts), emobank["dev"].targets))
    taught = np.concatenate([head.predict(teacher_features(goemotions.texts[b:b + 4096]))
                             for b in range(0, len(goemotions), 4096)])
    dev = head.predict(teacher_features(emobank["dev"].texts))
    report = {"teacher": {"alphas": head.alphas, "dev_r": [round(pearson_r(dev[:, j], emobank["dev"].targets[:, j]), 4)
                                                            for j in range(3)]}}
    print("teacher:", report["teacher"], flush=True)

    model_dir = resolve_model_dir(args.model, "multidomain-minilm")
    model = read_model(model_dir)
    probe = work / "student-layers.onnx"
    onnx.save(add_layers_output(core_graph(onnx.load(str(model.graph)))), str(probe))
    student = OnnxTextEncoder.from_config(model_dir, replace(model.config, onnx_file=str(probe.resolve())),
                                          num_threads=args.threads)
    x = {s: layer_features(student, emobank[s].texts) for s in ("train", "dev", "test")}
    x_goemotions = layer_features(student, goemotions.texts).astype(np.float32)
    drawn = np.random.default_rng(args.seed).permutation(len(goemotions))[:8000]
    for name, chosen in (("u=0", np.array([], int)), ("u=8000", drawn), ("u=43410", np.arange(len(goemotions)))):
        fit = fit_ridge(np.concatenate([x["train"], x_goemotions[chosen].astype(np.float64)]),
                        np.concatenate([emobank["train"].targets, taught[chosen]]), HeadsArguments().alphas,
                        dev=(x["dev"], emobank["dev"].targets))
        r = {s: [round(pearson_r(fit.predict(x[s])[:, j], emobank[s].targets[:, j]), 4) for j in range(3)]
             for s in ("dev", "test")}
        report[name] = {"alphas": fit.alphas, "dev_r": r["dev"], "dev_mean_r": round(float(np.mean(r["dev"])), 4),
                        "test_r": r["test"]}
        print(name, report[name], flush=True)
    probe.unlink()
    (work / "vad-teacher.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
