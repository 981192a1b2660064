"""The PyTorch network that is fine-tuned, then exported to ONNX."""

from __future__ import annotations

import torch
from torch import nn
from transformers import BertModel, BertPreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """The mean of each text's token vectors over its real tokens (as the sentence-transformers
    encoders were trained): the pooling every fine-tuned and exported encoder here uses."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)


class BertForMeanPooledClassification(BertPreTrainedModel):
    """BERT encoder, mean pooling over tokens (as the sentence-transformers base was trained),
    dropout and a linear head: multi-label (BCE, the default), single-label (cross-entropy) or
    regression (MSE) after ``config.problem_type``.  Loadable by ``transformers.pipeline``.

    ``config.extra_heads`` (``{name: width}``) adds more linear heads on the same pooled vector,
    trained by :func:`emoscope.train.trainer.fine_tune_multitask` and exported as graph outputs
    of those names (e.g. ``basic``: the six basic emotions of the multi-domain model)."""

    def __init__(self, config):
        super().__init__(config)
        self.bert = BertModel(config, add_pooling_layer=False)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.extra_heads = nn.ModuleDict({name: nn.Linear(config.hidden_size, int(width))
                                          for name, width in (getattr(config, "extra_heads", None) or {}).items()})
        self.post_init()

    def pooled(self, input_ids, attention_mask):
        return mean_pool(self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state,
                         attention_mask)

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, labels=None,
                **kwargs):
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        logits = self.classifier(self.dropout(self.pooled(input_ids, attention_mask)))
        loss = None
        if labels is not None:
            if self.config.problem_type == "single_label_classification":  # labels: one-hot rows
                loss = nn.functional.cross_entropy(logits, labels.float().argmax(dim=1))
            elif self.config.problem_type == "regression":  # labels: standardised targets
                loss = nn.functional.mse_loss(logits, labels.float())
            else:
                loss = nn.functional.binary_cross_entropy_with_logits(logits, labels.float())
        return SequenceClassifierOutput(loss=loss, logits=logits)


class OnnxExportWrapper(nn.Module):
    """Forward used for export: outputs ``logits``, the pooled ``embedding`` and each extra head."""

    def __init__(self, model: BertForMeanPooledClassification):
        super().__init__()
        self.model = model

    @property
    def output_names(self) -> list[str]:
        return ["logits", "embedding", *self.model.extra_heads]

    def forward(self, input_ids, attention_mask):
        pooled = self.model.pooled(input_ids, attention_mask)
        return (self.model.classifier(pooled), pooled, *(head(pooled) for head in self.model.extra_heads.values()))


class MeanPooledEncoder(nn.Module):
    """Any ``transformers`` encoder (MPNet, for the accurate tier), mean pooling and linear heads:
    ``classifier`` (the labels) and ``extra_heads``, the attributes :class:`OnnxExportWrapper`
    exports.  Saved as the encoder's checkpoint plus ``heads.pt`` (:meth:`save_pretrained`)."""

    HEADS_FILE = "heads.pt"

    def __init__(self, encoder, heads: nn.ModuleDict, labels_head: str = "labels"):
        super().__init__()
        self.encoder = encoder
        self.classifier = heads[labels_head]
        self.extra_heads = nn.ModuleDict({name: head for name, head in heads.items() if name != labels_head})

    @property
    def config(self):
        return self.encoder.config

    def pooled(self, input_ids, attention_mask):
        return mean_pool(self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state,
                         attention_mask)

    def save_pretrained(self, folder) -> None:
        self.encoder.save_pretrained(folder)
        torch.save({"labels": self.classifier.state_dict(),
                    **{name: head.state_dict() for name, head in self.extra_heads.items()}},
                   f"{folder}/{self.HEADS_FILE}")

    @classmethod
    def from_pretrained(cls, folder) -> "MeanPooledEncoder":
        from transformers import AutoModel

        encoder = AutoModel.from_pretrained(str(folder), attn_implementation="eager").eval()
        states = torch.load(f"{folder}/{cls.HEADS_FILE}")
        heads = nn.ModuleDict({name: nn.Linear(state["weight"].shape[1], state["weight"].shape[0])
                               for name, state in states.items()})
        for name, state in states.items():
            heads[name].load_state_dict(state)
        return cls(encoder, heads).eval()
