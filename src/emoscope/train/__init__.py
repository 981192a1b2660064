"""Training (needs the ``train`` extra: ``pip install 'emoscope[train]'``)."""

from .arguments import TrainingArguments

__all__ = ["TrainingArguments"]
