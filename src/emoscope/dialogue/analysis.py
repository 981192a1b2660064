"""Label every turn of a dialogue and compute its dynamics.

Each turn gets two views: its one emotion (Ekman 6 + neutral) from the context-aware dialogue
model, which reads the turns around it, and the fine-grained 28 GoEmotions labels of the default
model, which reads the turn alone.  The dynamics use the first.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence, Union

from ..text.context import ContextEmotionModel
from .dynamics import DialogueDynamics, dialogue_dynamics
from .reader import Dialogue, Turn

TURN_ROLLUP = "ekman"
ContextModelSpec = Union[None, bool, str, Path, ContextEmotionModel]


@functools.lru_cache(maxsize=4)
def _cached_context_model(path: Optional[str], num_threads: Optional[int]) -> ContextEmotionModel:
    return ContextEmotionModel.load(path, num_threads=num_threads)


def resolve_context_model(spec: ContextModelSpec, num_threads: Optional[int] = None
                          ) -> Optional[ContextEmotionModel]:
    """``None`` or ``True``: the shipped context model (loaded once); a path or name: that model;
    ``False``: no context model (turn emotions from the fine model's Ekman rollup instead)."""
    if spec is False:
        return None
    if isinstance(spec, ContextEmotionModel):
        return spec
    return _cached_context_model(None if spec in (None, True) else str(spec), num_threads)


@dataclass
class TurnResult:
    speaker: str
    text: str
    id: Optional[str]
    time: Optional[str]
    emotion: str              # the turn's one emotion (Ekman 6 + neutral), used for the dynamics
    emotion_score: float
    sentiment_balance: float  # positive minus negative sentiment score, -1..1 (a valence proxy)
    result: object            # the fine-grained EmotionResult (28 GoEmotions labels)

    def to_dict(self) -> dict:
        fine = self.result.to_dict(rollups=())
        return {"id": self.id, "speaker": self.speaker, "text": self.text, "time": self.time,
                "emotion": self.emotion, "emotion_score": round(self.emotion_score, 6),
                "sentiment_balance": round(self.sentiment_balance, 6),
                **{k: v for k, v in fine.items() if k != "text"}}


@dataclass
class DialogueResult:
    id: str
    turns: list[TurnResult]
    dynamics: DialogueDynamics
    reordered: bool = False
    emotion_source: str = ""  # the context model's name, or "ekman rollup (no context)"

    def to_dict(self) -> dict:
        return {"dialogue": self.id, "reordered": self.reordered, "emotion_source": self.emotion_source,
                "turns": [t.to_dict() for t in self.turns], "dynamics": self.dynamics.to_dict()}


def _turn_emotion(result) -> tuple[str, float]:
    """The predicted Ekman category with the highest score (every text has at least one)."""
    rolled = result.rollup(TURN_ROLLUP)
    best = rolled.best()
    return best, rolled.scores[best]


def analyze_dialogue(model, turns: Union[Dialogue, Sequence[Turn], Sequence[dict]],
                     dialogue_id: str = "1", context_model: ContextModelSpec = None) -> DialogueResult:
    """Label each turn and compute the dialogue's dynamics (turns as given, in order).

    ``model`` gives the fine-grained labels; ``context_model`` (default: the shipped MELD model)
    gives each turn's emotion from the turn and the turns around it.  With
    ``context_model=False`` the turn emotion is the best predicted Ekman category of the fine
    labels, each turn read alone.
    """
    reordered = False
    if isinstance(turns, Dialogue):
        dialogue_id, reordered, turns = turns.id, turns.reordered, turns.turns
    turns = [t if isinstance(t, Turn) else Turn(**t) for t in turns]
    results = model.predict([t.text for t in turns])
    contextual = resolve_context_model(context_model)
    if contextual is not None:
        emotions = contextual.predict_turns([t.speaker for t in turns], [t.text for t in turns])
        source = contextual.name
    else:
        emotions = [_turn_emotion(r) for r in results]
        source = "ekman rollup (no context)"
    labelled = []
    for turn, result, (emotion, score) in zip(turns, results, emotions):
        sentiment = result.rollup("sentiment").scores
        labelled.append(TurnResult(turn.speaker, turn.text, turn.id, turn.time, emotion, score,
                                   sentiment.get("positive", 0.0) - sentiment.get("negative", 0.0),
                                   result))
    dynamics = dialogue_dynamics([t.speaker for t in labelled], [t.emotion for t in labelled])
    return DialogueResult(dialogue_id, labelled, dynamics, reordered, source)
