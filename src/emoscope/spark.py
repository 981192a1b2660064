"""Apache Spark: annotate a DataFrame's text column with emotion columns.

    from emoscope.spark import annotate
    annotated = annotate(df, text_col="text")

The work runs in ``mapInPandas``: each Python worker loads the ONNX model once (then keeps it for
every later batch and task it runs) and adds the same columns as ``emoscope analyze``.  The
model is the shipped one unless ``model`` names a directory that exists at the same path on every
worker.  Needs ``pyspark`` (``pip install 'emoscope[spark]'``) and Java 17 on the driver and the
workers; the workers need emoscope installed.
"""

from __future__ import annotations

from typing import Optional, Sequence

from .errors import UnknownColumnError

_WORKER_MODELS: dict = {}


def _load_model(model: Optional[str], num_threads: int, language: Optional[str]):
    """The model, reading ``language`` when given (a code, or "auto")."""
    from .text.model import EmotionModel

    loaded = EmotionModel.load(model, num_threads=num_threads)
    return loaded.for_language(language) if language else loaded


def _worker_model(model: Optional[str], num_threads: int, language: Optional[str] = None):
    """The model of this Python worker, loaded on first use."""
    key = (model, num_threads, language)
    if key not in _WORKER_MODELS:
        _WORKER_MODELS[key] = _load_model(model, num_threads, language)
    return _WORKER_MODELS[key]


def _column_types(model, rollups: Sequence, scores: bool, prefix: str) -> dict:
    """The columns ``annotation_columns`` adds and their Spark types, from one real prediction."""
    from pyspark.sql.types import BooleanType, DoubleType, StringType

    from .io.annotations import annotation_columns

    sample = annotation_columns(model.predict(["ok"]), rollups, scores, prefix)
    types = {}
    for name, values in sample.items():
        value = values[0]
        types[name] = (BooleanType() if isinstance(value, bool) else
                       DoubleType() if isinstance(value, float) else StringType())
    return types


def annotate(df, text_col: str = "text", *, model: Optional[str] = None,
             rollups: Optional[Sequence[str]] = None, scores: bool = True, prefix: str = "",
             num_threads: int = 1, language: Optional[str] = None):
    """Return ``df`` with emotion columns appended (as ``emoscope analyze`` writes them).

    ``rollups`` are built-in names or paths to mapping files readable on the workers (default:
    ekman and sentiment when the model has the GoEmotions labels);
    ``num_threads`` is the ONNX threads per Python worker (Spark already runs one worker per core);
    ``language``: the texts read as that language, or ``"auto"`` each as the language the model
    detects (a model trained on several languages, as ``analyze --language``).
    Input columns with the same names as added ones are replaced.  A null text counts as empty.
    """
    from pyspark.sql.types import StructField, StructType

    from .taxonomy import default_rollups, load_rollup

    if text_col not in df.columns:
        raise UnknownColumnError(f"no column {text_col!r}; columns are: {', '.join(df.columns)}")
    driver_model = _load_model(model, 1, language)  # fails here, on the driver, on a language it cannot read
    if rollups is None:
        rollups = default_rollups(driver_model.labels)
    for spec in rollups:
        load_rollup(spec).check_labels(driver_model.labels)  # fail on the driver, not in every task
    added = _column_types(driver_model, rollups, scores, prefix)
    kept = [f for f in df.schema.fields if f.name not in added]
    schema = StructType(kept + [StructField(name, kind, True) for name, kind in added.items()])
    kept_names = [f.name for f in kept]
    rollups = tuple(rollups)

    def run(batches):
        from .io.annotations import annotate_frame

        worker = _worker_model(model, num_threads, language)
        for batch in batches:
            yield annotate_frame(worker, batch.reset_index(drop=True), text_col, "spark", rollups,
                                 scores, prefix)[kept_names + list(added)]

    return df.mapInPandas(run, schema)
