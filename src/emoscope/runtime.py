"""Running a model's graph: how many threads, the onnxruntime session, and what the model kinds
that are one graph with labels share (:class:`GraphModel`: speech, faces).  The files a graph
comes with are read by :mod:`emoscope.persistence`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional, Union

from .errors import ModelLoadError, UsageError
from .persistence import ModelConfig, ModelFiles, Task, copy_model, read_config, read_model, resolve_model_dir

THREADS_ENV = "EMOSCOPE_NUM_THREADS"
WAIT_POLICY_ENV = "OMP_WAIT_POLICY"


def runtime_threads(num_threads: Optional[int] = None) -> Optional[int]:
    """The threads a graph runs on: ``num_threads`` when given, else the environment's
    ``EMOSCOPE_NUM_THREADS`` (for several emoscope processes sharing a machine: server workers,
    Spark executors, parallel tests), else None (onnxruntime's default: every core)."""
    if num_threads:
        return int(num_threads)
    value = os.environ.get(THREADS_ENV, "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise UsageError(f"{THREADS_ENV}={value!r}: expected a whole number of threads, 1 or more")
    return int(value)


AVX2_KERNELS = "x86-64 AVX2"  # what the cards and references made before 2026-12-01 were measured with


def int8_kernels() -> str:
    """The family of onnxruntime's int8 matrix kernels this CPU runs, which decides a static-int8
    graph's last digits: ``"x86-64 AVX2"``, ``"x86-64 VNNI"`` (AVX-512 VNNI or AVX-VNNI), ``"x86-64"``
    (neither), or the machine's name elsewhere (ARM has kernels of its own).  AVX2's 8-bit
    multiply-add saturates sums of two products at 16 bits and VNNI's does not, so a few texts
    score slightly differently (measured 2026-12-01: probabilities up to 8.5e-4 apart, 3 of 2,610
    MELD test turns labelled differently).  Model cards record it (``training.int8_kernels``)."""
    import platform

    machine = platform.machine().lower()
    if machine not in ("x86_64", "amd64"):
        return machine or "unknown"
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:  # not Linux: the kernels cannot be told apart
        return "x86-64"
    if flags & {"avx512_vnni", "avx_vnni", "avx_vnni_int8"}:
        return "x86-64 VNNI"
    return AVX2_KERNELS if "avx2" in flags else "x86-64"


def session_options(num_threads: Optional[int] = None, *, inter_op_threads: Optional[int] = None):
    """onnxruntime session options with :func:`runtime_threads` intra-op threads (inter-op: the
    same unless ``inter_op_threads`` is given).  Under ``OMP_WAIT_POLICY=PASSIVE`` onnxruntime's
    threads sleep rather than spin while they wait, as OpenMP's (torch's) do: processes that share
    the cores (parallel tests, server workers, Spark executors) then leave each other the CPU time
    a spinning thread burns (a third of the CPU time of a 2-thread model on a busy 2-core machine)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    num_threads = runtime_threads(num_threads)
    if num_threads:
        options.intra_op_num_threads = options.inter_op_num_threads = num_threads
    if inter_op_threads:
        options.inter_op_num_threads = inter_op_threads
    if os.environ.get(WAIT_POLICY_ENV, "").strip().upper() == "PASSIVE":
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return options


def open_session(files: ModelFiles, num_threads: Optional[int] = None):
    """An onnxruntime CPU session on ``files``' graph (``num_threads``: intra- and inter-op
    threads; default all cores); a :class:`ModelLoadError` naming the file when it is missing or
    not a graph onnxruntime reads."""
    import onnxruntime as ort

    if not files.graph.is_file():
        raise ModelLoadError(f"{files.directory}: no {files.config.onnx_file}")
    try:
        return ort.InferenceSession(str(files.graph), session_options(num_threads),
                                    providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped errors for a bad graph
        raise ModelLoadError(f"{files.graph}: cannot load the graph ({exc})") from None


class GraphModel:
    """What a model kind that is one ONNX graph with labels shares (speech, faces): ``load`` a
    directory or a shipped name, check its task before anything else is read, ``name``,
    ``labels`` and ``save_pretrained``.  A subclass sets ``task``, ``default_model`` and
    ``not_this_kind`` (the end of the wrong-task message)."""

    task: Task
    default_model: str
    not_this_kind: str

    def __init__(self, files: ModelFiles, session):
        self._require_task(files.directory, files.config)
        self.files = files
        self.directory = files.directory
        self.config = files.config
        self.labels = list(files.labels)
        self.session = session
        self._input = session.get_inputs()[0].name

    @classmethod
    def _require_task(cls, directory: Path, config: ModelConfig) -> None:
        if config.task != cls.task:
            raise ModelLoadError(f"{directory}: a {config.task.value} model, not {cls.not_this_kind}")

    @classmethod
    def load(cls, path: Optional[Union[str, Path]] = None, *, num_threads: Optional[int] = None):
        """Load the kind's shipped model (``path=None``), a shipped model by name, or a directory."""
        directory = resolve_model_dir(path, cls.default_model)
        cls._require_task(directory, read_config(directory))  # before anything else is read
        files = read_model(directory)
        return cls(files, open_session(files, num_threads))

    @property
    def name(self) -> str:
        return self.config.name or self.directory.name

    def save_pretrained(self, path: Union[str, Path]) -> Path:
        """Write this model to ``path`` (a directory :meth:`load` reads back)."""
        return copy_model(self.files, path)
