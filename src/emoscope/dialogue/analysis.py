"""Label every turn of a dialogue and compute its dynamics.

Each turn gets two views: its one emotion (Ekman 6 + neutral) from the context-aware dialogue
model, which reads the turns around it, and the fine-grained 28 GoEmotions labels of the default
model, which reads the turn alone.  The dynamics use the first.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Optional, Sequence, Union

from ..text.context import ContextEmotionModel
from .dynamics import DialogueDynamics, dialogue_dynamics
from .reader import Dialogue, Turn

TURN_ROLLUP = "ekman"
TURNS_PER_RUN = 512  # turns read together (several dialogues): batches fill, memory stays small
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
    if not isinstance(turns, Dialogue):
        turns = Dialogue(dialogue_id, [t if isinstance(t, Turn) else Turn(**t) for t in turns])
    return next(analyze_dialogues(model, [turns], context_model))


def analyze_dialogues(model, dialogues: Iterable[Dialogue], context_model: ContextModelSpec = None,
                      turns_per_run: int = TURNS_PER_RUN) -> Iterator[DialogueResult]:
    """:func:`analyze_dialogue` of each dialogue, in order, as a generator.  Dialogues are read
    together, about ``turns_per_run`` turns at a time, so both models batch turns across
    dialogues (short dialogues would otherwise leave most of each batch empty); a turn's labels do
    not depend on the other dialogues."""
    contextual = resolve_context_model(context_model)
    group: list[Dialogue] = []
    turns = 0
    for dialogue in dialogues:
        group.append(dialogue)
        turns += len(dialogue.turns)
        if turns >= turns_per_run:
            yield from _analyze_group(model, group, contextual)
            group, turns = [], 0
    if group:
        yield from _analyze_group(model, group, contextual)


def _analyze_group(model, dialogues: list[Dialogue], contextual: Optional[ContextEmotionModel]
                   ) -> list[DialogueResult]:
    results = iter(model.predict([t.text for d in dialogues for t in d.turns]))
    fine = [[next(results) for _ in d.turns] for d in dialogues]
    if contextual is not None:
        emotions = contextual.predict_dialogues([([t.speaker for t in d.turns], [t.text for t in d.turns])
                                                 for d in dialogues])
        source = contextual.name
    else:
        emotions = [[_turn_emotion(r) for r in turn_results] for turn_results in fine]
        source = "ekman rollup (no context)"
    out = []
    for dialogue, turn_results, turn_emotions in zip(dialogues, fine, emotions):
        labelled = []
        for turn, result, (emotion, score) in zip(dialogue.turns, turn_results, turn_emotions):
            sentiment = result.rollup("sentiment").scores
            labelled.append(TurnResult(turn.speaker, turn.text, turn.id, turn.time, emotion, score,
                                       sentiment.get("positive", 0.0) - sentiment.get("negative", 0.0),
                                       result))
        dynamics = dialogue_dynamics([t.speaker for t in labelled], [t.emotion for t in labelled])
        out.append(DialogueResult(dialogue.id, labelled, dynamics, dialogue.reordered, source))
    return out
