"""Facial expressions: FER+ (FER2013's face crops relabelled by ten annotators each), as in
``../shared/datasets/faces/ferplus/{train,valid,test}.npz`` (see the datasets' README).

The "majority vote" protocol: an image's label is its most-voted emotion among the eight; images
whose most-voted category is ``unknown`` or ``not a face`` are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Union

import numpy as np

from ..errors import InputNotFoundError, UsageError

FACE_LABELS = ("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt")
VOTE_COLUMNS = FACE_LABELS + ("unknown", "not_a_face")
SPLITS = ("train", "valid", "test")
FERPLUS_LICENCE = ("FER2013 images (Goodfellow et al. 2013): the challenge's terms, research only; "
                   "FER+ labels (Barsoum et al. 2016): MIT")


@dataclass(frozen=True)
class FaceSplit:
    """One split's images (n, 48, 48) uint8, votes (n, 10) and majority labels (n,) as indices
    into :data:`FACE_LABELS`."""

    images: np.ndarray
    votes: np.ndarray
    names: np.ndarray

    @property
    def majority(self) -> np.ndarray:
        return self.votes[:, :len(FACE_LABELS)].argmax(axis=1)

    def __len__(self) -> int:
        return len(self.images)

    def head(self, n: int) -> "FaceSplit":
        return FaceSplit(self.images[:n], self.votes[:n], self.names[:n])


def read_ferplus(data: Union[str, Path], split: str, protocol: str = "majority") -> FaceSplit:
    """A FER+ split; ``protocol="majority"`` keeps the images whose most-voted category (ties to
    the first in vote order) is one of the eight emotions, ``"all"`` keeps every image."""
    if split not in SPLITS:
        raise UsageError(f"unknown FER+ split {split!r}; choose one of {', '.join(SPLITS)}")
    root = Path(data)
    path = root / f"{split}.npz" if not root.name.endswith(".npz") else root
    if not path.is_file() and (root / "faces" / "ferplus" / f"{split}.npz").is_file():
        path = root / "faces" / "ferplus" / f"{split}.npz"  # the datasets folder itself
    if not path.is_file():
        raise InputNotFoundError(f"{path}: FER+ split not found (expected ferplus/{split}.npz)")
    with np.load(path) as arrays:
        images, votes, names = arrays["images"], arrays["votes"], arrays["names"]
    if protocol == "majority":
        keep = votes.argmax(axis=1) < len(FACE_LABELS)
        images, votes, names = images[keep], votes[keep], names[keep]
    elif protocol != "all":
        raise UsageError(f"unknown FER+ protocol {protocol!r}; choose majority or all")
    return FaceSplit(images, votes, names)
