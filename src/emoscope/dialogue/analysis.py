"""Label every turn of a dialogue and compute its dynamics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Union

from .dynamics import DialogueDynamics, dialogue_dynamics
from .reader import Dialogue, Turn

TURN_ROLLUP = "ekman"


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
        return {"id": self.id, "speaker": self.speaker, "text": self.text, "time": self.time,
                "emotion": self.emotion, "emotion_score": round(self.emotion_score, 6),
                "sentiment_balance": round(self.sentiment_balance, 6),
                "labels": list(self.result.labels),
                "scores": {k: round(v, 6) for k, v in self.result.scores.items()},
                "empty": self.result.empty}


@dataclass
class DialogueResult:
    id: str
    turns: list[TurnResult]
    dynamics: DialogueDynamics
    reordered: bool = False

    def to_dict(self) -> dict:
        return {"dialogue": self.id, "reordered": self.reordered,
                "turns": [t.to_dict() for t in self.turns], "dynamics": self.dynamics.to_dict()}


def _turn_emotion(result) -> tuple[str, float]:
    """The predicted Ekman category with the highest score (every text has at least one)."""
    rolled = result.rollup(TURN_ROLLUP)
    candidates = rolled.labels or tuple(rolled.scores)
    best = max(candidates, key=lambda c: rolled.scores[c])
    return best, rolled.scores[best]


def analyze_dialogue(model, turns: Union[Dialogue, Sequence[Turn], Sequence[dict]],
                     dialogue_id: str = "1") -> DialogueResult:
    """Label each turn and compute the dialogue's dynamics (turns as given, in order)."""
    reordered = False
    if isinstance(turns, Dialogue):
        dialogue_id, reordered, turns = turns.id, turns.reordered, turns.turns
    turns = [t if isinstance(t, Turn) else Turn(**t) for t in turns]
    results = model.predict([t.text for t in turns])
    labelled = []
    for turn, result in zip(turns, results):
        emotion, score = _turn_emotion(result)
        sentiment = result.rollup("sentiment").scores
        labelled.append(TurnResult(turn.speaker, turn.text, turn.id, turn.time, emotion, score,
                                   sentiment.get("positive", 0.0) - sentiment.get("negative", 0.0),
                                   result))
    dynamics = dialogue_dynamics([t.speaker for t in labelled], [t.emotion for t in labelled])
    return DialogueResult(dialogue_id, labelled, dynamics, reordered)
