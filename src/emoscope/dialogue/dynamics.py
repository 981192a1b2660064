"""Emotion dynamics of a dialogue from one emotion label per turn (definitions in the package doc)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Iterable, Optional, Sequence


@dataclass
class SpeakerDynamics:
    speaker: str
    turns: int
    trajectory: list[str]
    shifts: int            # turns whose emotion differs from the speaker's previous turn
    kept: int              # turns that keep the speaker's previous emotion
    caught: int            # turns that take the emotion of the latest other speaker's turn
    exposed: int           # turns that have an earlier turn by another speaker

    @property
    def inertia(self) -> Optional[float]:
        """Share of this speaker's turns (after their first) that keep their previous emotion."""
        return self.kept / (self.kept + self.shifts) if self.kept + self.shifts else None

    @property
    def contagion(self) -> Optional[float]:
        return self.caught / self.exposed if self.exposed else None

    def to_dict(self) -> dict:
        return {**asdict(self), "inertia": self.inertia, "contagion": self.contagion}


@dataclass
class DialogueDynamics:
    speakers: dict[str, SpeakerDynamics] = field(default_factory=dict)
    shifts: list[dict] = field(default_factory=list)  # {"turn", "speaker", "from", "to"}

    def _total(self, name: str) -> int:
        return sum(getattr(s, name) for s in self.speakers.values())

    @property
    def inertia(self) -> Optional[float]:
        kept, shifts = self._total("kept"), self._total("shifts")
        return kept / (kept + shifts) if kept + shifts else None

    @property
    def contagion(self) -> Optional[float]:
        exposed = self._total("exposed")
        return self._total("caught") / exposed if exposed else None

    def to_dict(self) -> dict:
        return {"inertia": self.inertia, "contagion": self.contagion,
                "speakers": {k: v.to_dict() for k, v in self.speakers.items()},
                "shifts": self.shifts}


def dialogue_dynamics(speakers: Sequence[str], emotions: Sequence[str]) -> DialogueDynamics:
    """Dynamics of one dialogue, given each turn's speaker and emotion in turn order."""
    if len(speakers) != len(emotions):
        raise ValueError("speakers and emotions must have one entry per turn")
    out = DialogueDynamics()
    previous_own: dict[str, str] = {}
    latest: list[tuple[str, str]] = []  # (speaker, emotion) of every earlier turn
    for turn, (speaker, emotion) in enumerate(zip(speakers, emotions)):
        stats = out.speakers.setdefault(speaker, SpeakerDynamics(speaker, 0, [], 0, 0, 0, 0))
        stats.turns += 1
        stats.trajectory.append(emotion)
        if speaker in previous_own:
            if previous_own[speaker] == emotion:
                stats.kept += 1
            else:
                stats.shifts += 1
                out.shifts.append({"turn": turn, "speaker": speaker, "from": previous_own[speaker],
                                   "to": emotion})
        other = next((e for s, e in reversed(latest) if s != speaker), None)
        if other is not None:
            stats.exposed += 1
            stats.caught += other == emotion
        previous_own[speaker] = emotion
        latest.append((speaker, emotion))
    return out


def corpus_dynamics(dialogues: Iterable[DialogueDynamics]) -> DialogueDynamics:
    """Counts summed over dialogues (per speaker name and in total); shifts are not listed."""
    out = DialogueDynamics()
    for dynamics in dialogues:
        for name, s in dynamics.speakers.items():
            total = out.speakers.setdefault(name, SpeakerDynamics(name, 0, [], 0, 0, 0, 0))
            total.turns += s.turns
            total.shifts += s.shifts
            total.kept += s.kept
            total.caught += s.caught
            total.exposed += s.exposed
    return out
