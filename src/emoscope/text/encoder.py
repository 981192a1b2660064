"""ONNX encoder runtime: tokenization, overlapping windows and length-grouped batches.

Only numpy, onnxruntime and tokenizers are used here, so inference never imports torch.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from ..errors import ModelLoadError
from ..persistence import ModelConfig
from ..runtime import runtime_threads, session_options

# One text per model run: dynamic int8 quantization picks one activation scale per run, so in a
# run of several texts each text's scores depend on its neighbours (benchmarks/batch_size.py
# measured 7% of texts changing labels).  Alone, a text always gets the same result.
DEFAULT_BATCH_SIZE = 1
# A model that batches (batch_size > 1; its graph must then be free of dynamic quantization) never
# runs a lone window as a one-row batch: onnxruntime computes some float operations of a one-row
# run on another kernel path than those of larger runs, and the ~1e-7 differences can flip the
# rounding of a static int8 quantizer (seen on 2 of 2,000 texts, 6e-4 in a logit).  Runs of two or
# more rows agree exactly, so a lone window runs as two identical rows, and a text gets the same
# scores alone or in any batch.
#
# A run of many batches (two per core or more) is spread over the cores as single-threaded runs
# side by side rather than run batch after batch on all cores: a small encoder's matrix products
# are too short to keep several threads busy (MiniLM-L6, 2 cores, 2,000 GoEmotions texts: 477 vs
# 437 texts/s for the graph alone, the same scores to the last bit).  Fewer batches run one after
# another on all the threads: side by side, the longest would be left running alone on one core
# (40 SemEval texts as two batches of 20: 29 vs 40 texts/s).


@dataclass
class WindowBatchOutput:
    """Raw encoder output for every window, and the text each window came from."""

    logits: np.ndarray  # (n_windows, n_labels)
    owners: np.ndarray  # (n_windows,) index of the source text
    extra: dict = field(default_factory=dict)  # further graph outputs (e.g. heads), same rows


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class OnnxTextEncoder:
    """Runs a sequence-classification ONNX graph (inputs ``input_ids``, ``attention_mask``).

    Texts longer than ``max_tokens`` (special tokens included) are cut into windows of at most
    ``max_tokens`` that start every ``stride`` tokens, so consecutive windows overlap by
    ``max_tokens - 2 - stride`` word pieces.  Windows are sorted by length and run in batches of
    ``batch_size`` so that each batch pads only to its own longest window.  With
    ``truncate=True`` only the first window of each text is kept (for inputs whose start matters
    most, such as a dialogue turn followed by its context).
    """

    def __init__(self, model_path: str | Path, tokenizer_path: str | Path, *,
                 max_tokens: int = 128, stride: int = 96, batch_size: int = 32,
                 num_threads: Optional[int] = None, truncate: bool = False):
        from tokenizers import Tokenizer

        for path in (model_path, tokenizer_path):
            if not Path(path).is_file():
                raise ModelLoadError(f"{path}: model file missing")
        if stride < 1 or stride > max_tokens - 2:
            raise ValueError(f"stride must be between 1 and max_tokens - 2, got {stride}")
        self.model_path, self.tokenizer_path = Path(model_path), Path(tokenizer_path)
        self.session = self._open_session(num_threads)
        self.workers = runtime_threads(num_threads) or os.cpu_count() or 1
        self._single_thread_session = None
        self._pool: Optional[ThreadPoolExecutor] = None
        self._parallel_lock = threading.Lock()
        self.input_names = {i.name for i in self.session.get_inputs()}
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        padding = self.tokenizer.padding
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self.cls_id, self.sep_id, self.pad_id = self._special_ids(padding)
        self.max_tokens = max_tokens
        self.stride = stride
        self.batch_size = batch_size
        self.truncate = truncate

    def _open_session(self, num_threads: Optional[int]):
        import onnxruntime as ort

        options = session_options(num_threads, inter_op_threads=1)
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        return ort.InferenceSession(str(self.model_path), options, providers=["CPUExecutionProvider"])

    def _parallel(self):
        """The single-threaded session and the pool that run batches side by side, opened on the
        first run that has several batches (a one-text caller never pays for them)."""
        with self._parallel_lock:
            if self._pool is None:
                self._single_thread_session = self._open_session(1)
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="emoscope-encoder")
        return self._single_thread_session, self._pool

    @classmethod
    def from_config(cls, directory: Path, config: ModelConfig, *, num_threads: Optional[int] = None,
                    batch_size: Optional[int] = None) -> "OnnxTextEncoder":
        """The encoder a model directory's ``config.json`` describes (files, windows, batch size)."""
        directory = Path(directory)
        return cls(directory / config.onnx_file, directory / config.tokenizer_file,
                   max_tokens=int(config.max_tokens), stride=int(config.stride),
                   batch_size=int(batch_size or config.batch_size or DEFAULT_BATCH_SIZE),
                   num_threads=num_threads, truncate=config.long_texts == "truncate")

    def _special_ids(self, padding: Optional[dict]) -> tuple[int, int, int]:
        """(start, end, pad) token ids.  The tokenizer's own post-processor says which specials
        frame a text: a vocabulary may hold both BERT's [CLS]/[SEP] and RoBERTa's <s>/</s> (MPNet's
        does), so looking the names up could pick the wrong pair."""
        framed = self.tokenizer.encode("", add_special_tokens=True).ids
        if len(framed) == 2:
            start, end = framed
        else:  # no post-processor: BERT word pieces, then SentencePiece (XLM-R) names
            start, end = (self._special_id(*names) for names in (("[CLS]", "<s>"), ("[SEP]", "</s>")))
        pad = (padding or {}).get("pad_id")
        if pad is None:
            pad = next((i for i in map(self.tokenizer.token_to_id, ("[PAD]", "<pad>")) if i is not None), 0)
        return start, end, int(pad)

    def _special_id(self, *tokens: str) -> int:
        for token in tokens:
            token_id = self.tokenizer.token_to_id(token)
            if token_id is not None:
                return token_id
        raise ModelLoadError(f"tokenizer has no {' or '.join(tokens)} token")

    def windows(self, texts: Sequence[str]) -> tuple[list[np.ndarray], np.ndarray, list[list[tuple[int, int]]]]:
        """Token-id windows (with [CLS]/[SEP]), the owning text of each, and each window's
        character span in its text."""
        encodings = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        body = self.max_tokens - 2
        windows, owners, spans = [], [], []
        for index, encoding in enumerate(encodings):
            ids = encoding.ids
            offsets = encoding.offsets
            starts = range(0, max(len(ids) - body, 0) + 1, self.stride) if ids else [0]
            starts = list(starts)
            if self.truncate:
                starts = starts[:1]
            elif ids and starts[-1] + body < len(ids):
                starts.append(len(ids) - body)
            text_spans = []
            for start in starts:
                piece = ids[start:start + body]
                windows.append(np.array([self.cls_id, *piece, self.sep_id], dtype=np.int64))
                owners.append(index)
                if piece:
                    text_spans.append((offsets[start][0], offsets[min(start + body, len(ids)) - 1][1]))
                else:
                    text_spans.append((0, 0))
            spans.append(text_spans)
        return windows, np.asarray(owners, dtype=np.int64), spans

    def run_windows(self, windows: Sequence[np.ndarray], output: str = "logits") -> np.ndarray:
        """The graph's ``output`` (logits, or the pooled embedding) for each window, in order."""
        return self.run_windows_outputs(windows, [output])[output]

    def run_windows_outputs(self, windows: Sequence[np.ndarray], outputs: Sequence[str]) -> dict:
        """Several graph outputs from one pass: ``{name: (n_windows, width)}``, windows in order."""
        outputs = list(outputs)
        if not windows:
            widths = {o.name: o.shape[-1] for o in self.session.get_outputs()}
            return {name: np.zeros((0, widths[name] if isinstance(widths.get(name), int) else 0),
                                   dtype=np.float32) for name in outputs}
        order = np.argsort([len(w) for w in windows], kind="stable")
        chunks = [order[begin:begin + self.batch_size] for begin in range(0, len(order), self.batch_size)]

        def run_chunk(session, chunk: np.ndarray) -> list[np.ndarray]:
            width = max(len(windows[i]) for i in chunk)
            input_ids = np.full((len(chunk), width), self.pad_id, dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.int64)
            for row, i in enumerate(chunk):
                input_ids[row, :len(windows[i])] = windows[i]
                mask[row, :len(windows[i])] = 1
            if len(chunk) == 1 and self.batch_size > 1:  # see the note on DEFAULT_BATCH_SIZE
                input_ids, mask = np.repeat(input_ids, 2, axis=0), np.repeat(mask, 2, axis=0)
            feeds = {"input_ids": input_ids, "attention_mask": mask}
            if "token_type_ids" in self.input_names:
                feeds["token_type_ids"] = np.zeros_like(input_ids)
            return [values[:len(chunk)] for values in session.run(outputs, feeds)]

        if self.workers > 1 and len(chunks) >= 2 * self.workers:
            session, pool = self._parallel()
            chunks = chunks[::-1]  # longest first, so that no long batch is left to run alone at the end
            results = pool.map(lambda chunk: run_chunk(session, chunk), chunks)
        else:
            results = (run_chunk(self.session, chunk) for chunk in chunks)
        out: dict = {}
        for chunk, values_per_output in zip(chunks, results):
            for name, values in zip(outputs, values_per_output):
                if name not in out:
                    out[name] = np.empty((len(windows), values.shape[1]), dtype=np.float32)
                out[name][chunk] = values
        return out

    def run(self, texts: Sequence[str], output: str = "logits",
            extra_outputs: Sequence[str] = ()) -> WindowBatchOutput:
        windows, owners, _ = self.windows(texts)
        values = self.run_windows_outputs(windows, [output, *extra_outputs])
        return WindowBatchOutput(values.pop(output), owners, values)
