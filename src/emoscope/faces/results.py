"""Frozen result type of the face model: :class:`FaceResult`, one per face."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional


@dataclass(frozen=True)
class FaceResult:
    """What the face model says about one face.

    ``labels`` is the most probable expression (one label, as a speech segment has), ``scores`` a
    probability per label (they sum to one).  ``box`` is where the face is in its image, as
    ``(x, y, width, height)`` in the image's pixels, for a face the model found itself
    (:meth:`FaceEmotionModel.predict`); ``None`` for a crop given as it is
    (:meth:`FaceEmotionModel.classify`).
    """

    labels: tuple[str, ...]
    scores: dict[str, float]
    box: Optional[tuple[int, int, int, int]] = None

    def scaled(self, factor: float) -> "FaceResult":
        """This face with its box in pixels ``factor`` times as large (from an image read reduced,
        or a frame analysed downscaled, to the original), by :meth:`FaceBox.scaled`'s rounding."""
        if self.box is None or factor == 1:
            return self
        from .detect import FaceBox

        return replace(self, box=FaceBox(*self.box).scaled(factor).as_tuple())

    def top(self, k: int = 1) -> list[tuple[str, float]]:
        return sorted(self.scores.items(), key=lambda kv: kv[1], reverse=True)[:k]

    def to_dict(self) -> dict:
        """JSON-ready, in the schema of every emoscope result (docs/results.md): ``labels``,
        ``top_label``, ``top_score``, then the box and the scores."""
        label, score = self.top(1)[0]
        out = {"labels": list(self.labels), "top_label": label, "top_score": round(score, 6)}
        if self.box is not None:
            out["box"] = dict(zip(("x", "y", "width", "height"), (int(v) for v in self.box)))
        out["scores"] = {k: round(v, 6) for k, v in self.scores.items()}
        return out
