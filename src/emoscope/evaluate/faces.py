"""Facial expression on FER+ (majority-vote protocol): accuracy, per-class recall, precision and
F1 and the confusion matrix, scored through :meth:`FaceEmotionModel.classify` on the crops as
the dataset gives them."""

from __future__ import annotations


from ..card import CardSection
from .speech import classification_payload, classification_tables

# emoscope evaluate's splits are train, dev and test; FER+ calls its dev split "valid"
FERPLUS_SPLITS = {"train": "train", "dev": "valid", "valid": "valid", "test": "test"}


def evaluate_face_model(model, split, batch: int = 1024) -> dict:
    """Score ``model`` on a :class:`~emoscope.data.faces.FaceSplit` (its majority labels)."""
    predicted = []
    for start in range(0, len(split), batch):
        predicted += [result.labels[0] for result in model.classify(split.images[start:start + batch])]
    gold = [model.labels[i] for i in split.majority]
    return classification_payload(gold, predicted, model.labels)


def ferplus_payload(model, data, split: str) -> dict:
    from ..data.faces import read_ferplus

    images = read_ferplus(data, FERPLUS_SPLITS[split])
    return {"dataset": "ferplus", "split": FERPLUS_SPLITS[split], "model": model.name,
            **evaluate_face_model(model, images)}


def describe_faces(payload: dict) -> list[CardSection]:
    lines = [f"**accuracy {payload['accuracy']:.4f}**, macro-F1 {payload['macro_f1']:.4f}, UAR {payload['uar']:.4f} "
             f"on {payload['n']} images (majority vote over the {len(payload['classes'])} emotions; images whose "
             f"most-voted category is unknown or not a face are left out)"]
    return [CardSection(f"{payload['dataset']} {payload['split']} ({payload['n']} images)", lines,
                        classification_tables(payload))]

