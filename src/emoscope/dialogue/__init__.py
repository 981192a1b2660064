"""Dialogues: reading turns, labelling each turn, and the dynamics of emotion between speakers.

A dialogue is an ordered list of :class:`Turn` (speaker, text, optional id and time);
:func:`analyze_dialogue` labels its turns (with :class:`~emoscope.ContextEmotionModel` and the
fine-grained :class:`~emoscope.EmotionModel`) and computes its dynamics; :func:`analyze_dialogues`
does so for many dialogues, reading their turns in batches across dialogues.  The dynamics are
computed on one emotion per turn:

- **trajectory**: each speaker's emotions in turn order;
- **shift**: a speaker's emotion differs from their own previous turn's;
- **inertia** of a speaker: the share of their turns (after their first) that keep the emotion of
  their own previous turn;
- **contagion**: the share of turns that take the emotion of the latest earlier turn by another
  speaker (turns with no earlier turn by another speaker are not counted).
"""

from __future__ import annotations

from .analysis import DialogueResult, TurnResult, analyze_dialogue, analyze_dialogues, resolve_context_model
from .dynamics import DialogueDynamics, SpeakerDynamics, corpus_dynamics, dialogue_dynamics
from .reader import Dialogue, Turn, read_dialogues

__all__ = ["Dialogue", "Turn", "read_dialogues", "analyze_dialogue", "analyze_dialogues", "DialogueResult",
           "TurnResult", "resolve_context_model", "DialogueDynamics", "SpeakerDynamics", "dialogue_dynamics",
           "corpus_dynamics"]
