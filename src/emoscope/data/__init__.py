"""Labelled data: one type (:class:`LabelledTexts`) and a reader for every dataset."""

from .labelled import (NOT_ANNOTATED, LabelledDataset, LabelledTexts, LabelSpec, annotated_columns,
                       read_labelled, read_labelled_texts)

__all__ = ["LabelledTexts", "LabelledDataset", "LabelSpec", "NOT_ANNOTATED", "annotated_columns",
           "read_labelled", "read_labelled_texts"]
