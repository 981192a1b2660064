"""Emoji and emoticons as words, read by a model before its encoder and its lexical head.

A BERT word-piece vocabulary maps most emoji to ``[UNK]`` and the lexical head's tokens are
words, so without this step ``"😡😡😡"`` reads as nothing at all.  :func:`emoji_to_words` writes
each emoji as its Unicode name, lower-cased (😡 becomes ``pouting face``, from the standard
library's :func:`unicodedata.name`), and each common ASCII emoticon as the name of the emoji it
stands for (``:(`` becomes ``slightly frowning face``):

- an emoji sequence is one emoji: skin-tone modifiers, variation selectors and tag characters
  are dropped, the parts of a zero-width-joiner sequence are named in order (👩‍💻 becomes
  ``woman personal computer``; a gender sign inside a sequence is dropped), and a pair of
  regional indicators (a country flag) becomes ``flag``;
- an emoticon counts only as a token of its own: preceded by the start of the text, a space or
  an opening bracket or quote, and followed by the end, a space or punctuation, so ``http://``,
  ``10:30`` and ``C:/`` are left alone;
- with ``collapse=True`` a run of the same emoji (spaces between allowed) is written once.

:func:`emoji_to_meaning` writes each one instead as the word of the GoEmotions label it goes with
(😂 becomes ``lol``, 😡 ``angry``): from ``emoji_meanings.json``, made from GoEmotions train by
``benchmarks/emoji_table.py``, then from :data:`HAND_MEANINGS`.  :func:`emoji_only_to_meaning`
does so only for a text of emoji and emoticons alone.

A model reads texts through :func:`emoji_to_words` when its ``config.json`` says
``"normalize_emoji": true`` and through :func:`emoji_only_to_meaning` when it says ``"meaning"``
(:class:`emoscope.persistence.ModelConfig`, :func:`normalizer`; ``multidomain-minilm`` says
``"meaning"``, chosen on GoEmotions dev, docs/models.md); texts are normalised only on their way
into the model, so results, offsets and explanations keep the text as given.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from pathlib import Path
from typing import Callable, Optional

# Emoji live in these blocks; within them only symbols (category So) are named, so a stray
# modifier or a mathematical sign of the technical block is left as it is.
_BASE = ("\U0001F000-\U0001F1E5\U0001F200-\U0001F3FA\U0001F400-\U0001FAFF"
         "\u2300-\u23FF\u2600-\u27BF\u2B00-\u2BFF")
_MODIFIER = "\uFE0E\uFE0F\U0001F3FB-\U0001F3FF\U000E0020-\U000E007F"  # variation, skin tone, tags
_ZWJ = "\u200d"
_GENDER = {"\u2640", "\u2642"}  # dropped inside a ZWJ sequence (🤷‍♀️ is a shrug)

# ASCII emoticons and the emoji each stands for (its name is what the model reads).
EMOTICONS = {
    ":)": "🙂", ":-)": "🙂", "=)": "🙂", ":]": "🙂", "(:": "🙂",
    ":D": "😀", ":-D": "😀", "=D": "😀", "XD": "😆", "xD": "😆",
    ":(": "🙁", ":-(": "🙁", "=(": "🙁", ":[": "🙁", ">:(": "😠", ">:-(": "😠",
    ":'(": "😢", ":'-(": "😢", ";(": "😢", "T_T": "😭", ";_;": "😭",
    ":')": "🥲", ":'D": "😂",
    ";)": "😉", ";-)": "😉", ";D": "😉",
    ":P": "😛", ":-P": "😛", ":p": "😛", ":-p": "😛", "XP": "😝", "xP": "😝",
    ":/": "😕", ":-/": "😕", ":\\": "😕", ":-\\": "😕", ":S": "😖",
    ":|": "😐", ":-|": "😐", "-_-": "😑",
    ":O": "😮", ":-O": "😮", ":o": "😮", ":-o": "😮",
    ":*": "😘", ":-*": "😘", "^_^": "😊", "^.^": "😊",
    "<3": "\u2764", "</3": "💔",
}
_MOUTHS = set(")(DPp[]")  # a mouth may repeat: ":)))", ":DDD", ":(("


def _emoticon_pattern() -> str:
    alternatives = []
    for emoticon in sorted(EMOTICONS, key=len, reverse=True):
        tail = f"{re.escape(emoticon[-1])}*" if emoticon[-1] in _MOUTHS else ""
        alternatives.append(re.escape(emoticon) + tail)
    before = r"(?<![^\s(\"'])"  # start, space, opening parenthesis or quote ("[:]" is a slice)
    after = r"(?![^\s.,!?;:)\]\"'])"  # end, space or punctuation
    return f"{before}(?:{'|'.join(alternatives)}){after}"


_PATTERN = re.compile(
    f"(?P<flag>[\U0001F1E6-\U0001F1FF]{{2}})"
    f"|(?P<emoji>[{_BASE}][{_MODIFIER}]*(?:{_ZWJ}[{_BASE}][{_MODIFIER}]*)*)"
    f"|(?P<emoticon>{_emoticon_pattern()})")
_IS_MODIFIER = re.compile(f"[{_MODIFIER}]")  # .match on one character, .sub on a sequence
_SPACES = re.compile(r"\s+")


def _name(char: str) -> str:
    return unicodedata.name(char, "").lower()


def emoji_words(sequence: str) -> str:
    """The words of one emoji sequence ("" when it is not an emoji: a symbol without a name, or
    a character of the emoji blocks that is not a symbol)."""
    parts = [c for c in sequence if c != _ZWJ and not _IS_MODIFIER.match(c)]
    if not parts or unicodedata.category(parts[0]) != "So":
        return ""
    if len(parts) > 1:
        parts = [c for c in parts if c not in _GENDER] or parts
    return " ".join(name for name in map(_name, parts) if name)


def _emoticon(match: re.Match) -> str:
    emoticon = match.group()
    while emoticon not in EMOTICONS:  # a repeated mouth, ":)))"
        emoticon = emoticon[:-1]
    return emoticon


def _words(match: re.Match) -> str:
    if match.lastgroup == "flag":
        return "flag"
    if match.lastgroup == "emoji":
        return emoji_words(match.group())
    return emoji_words(EMOTICONS[_emoticon(match)])


def emoji_key(match: re.Match) -> str:
    """What the meaning table is keyed by: an emoji without its modifiers (skin tone, variation
    selector, tags; a ZWJ sequence keeps its joiners), an emoticon as the table spells it
    (``:)))`` is ``:)``), a flag as ``"flag"``."""
    if match.lastgroup == "flag":
        return "flag"
    if match.lastgroup == "emoji":
        return _IS_MODIFIER.sub("", match.group())
    return _emoticon(match)


def find_emoji(text: str) -> list[re.Match]:
    """The emoji, flags and emoticons of ``text``, in order (the matches :func:`emoji_to_words` rewrites)."""
    return list(_PATTERN.finditer(text))


def _rewrite(text: str, words_for: Callable[[re.Match], Optional[str]], collapse: bool) -> str:
    """``text`` with each emoji, flag and emoticon written as ``words_for(match)`` (None leaves
    it as it is, "" drops it); ``collapse`` writes a run of the same words once (spaces between
    allowed).  A text with nothing to rewrite comes back unchanged."""
    out, end, last = [], 0, None
    for match in _PATTERN.finditer(text):
        words = words_for(match)
        if words is None:
            continue
        gap = text[end:match.start()]
        if collapse and words == last and not gap.strip():
            end = match.end()
            continue
        out += [gap, f" {words} "]
        end, last = match.end(), words
    if not out:
        return text
    out.append(text[end:])
    return _SPACES.sub(" ", "".join(out)).strip()


def emoji_to_words(text: str, *, collapse: bool = False, keep_original: bool = False,
                   emoji: bool = True, emoticons: bool = True) -> str:
    """``text`` with each emoji and emoticon written as words (see the module's description);
    ``keep_original`` keeps each one after its words; ``emoji=False`` or ``emoticons=False``
    leaves those as they are.  A text without any comes back unchanged."""
    def words_for(match: re.Match) -> Optional[str]:
        if not (emoticons if match.lastgroup == "emoticon" else emoji):
            return None
        words = _words(match)
        return (f"{words} {match.group()}" if keep_original else words) if words else None

    return _rewrite(text, words_for, collapse)


# -- emoji as what they mean in GoEmotions -----------------------------------------------------

MEANINGS_FILE = "emoji_meanings.json"  # made from GoEmotions train by benchmarks/emoji_table.py

# Clear-cut emoji too rare in GoEmotions train for a word of their own there (or without a clear
# label in it), written as one of the label words of benchmarks/emoji_table.py.  An emoticon is
# looked up as the emoji it stands for (EMOTICONS).
HAND_MEANINGS = {
    **dict.fromkeys("😡🤬😠👿💢", "angry"),
    **dict.fromkeys("🙄😒😤🤦", "ugh"),
    **dict.fromkeys("😢😭😞😔😟☹🙁😿🥺😥😓💔", "sad"),
    **dict.fromkeys("😱😨😰🙀", "scared"),
    **dict.fromkeys("😬", "nervous"),
    **dict.fromkeys("🤢🤮", "gross"),
    **dict.fromkeys("😍🥰😘❤💕💖💗💘💙💚💛💜🧡♥😻", "love"),
    **dict.fromkeys("🙏", "thanks"),
    **dict.fromkeys("😮😲😯🤯", "wow"),
    **dict.fromkeys("😂🤣😆😹", "lol"),
    **dict.fromkeys("😀😃😄😁😊☺🙂", "happy"),
    **dict.fromkeys("🥳🎉🤩", "excited"),
    **dict.fromkeys("👍", "agree"),
    **dict.fromkeys("👏", "great"),
    **dict.fromkeys("🤔", "curious"),
    **dict.fromkeys("😕", "confused"),
    **dict.fromkeys("😳", "embarrassed"),
    **dict.fromkeys("😌", "relieved"),
    **dict.fromkeys("🤗", "hugs"),
    **dict.fromkeys("💪", "proud"),
}


@functools.lru_cache(maxsize=None)
def _meanings_table() -> dict:
    return json.loads((Path(__file__).with_name(MEANINGS_FILE)).read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=None)
def train_meanings() -> dict[str, str]:
    """The table made from GoEmotions train: emoji or emoticon -> word."""
    return {key: entry["word"] for key, entry in _meanings_table()["emoji"].items()}


@functools.lru_cache(maxsize=None)
def word_labels() -> dict[str, str]:
    """The GoEmotions label each meaning word stands for (``lol`` -> ``amusement``)."""
    return {word: label for label, word in _meanings_table()["label_words"].items()}


def emoji_labels(text: str) -> set[str]:
    """The GoEmotions labels the emoji and emoticons of ``text`` mean (:func:`emoji_meaning`);
    an emoji without a meaning adds none."""
    words = (emoji_meaning(emoji_key(match)) for match in find_emoji(text))
    return {word_labels()[word] for word in words if word in word_labels()}


def _candidates(key: str) -> list[str]:
    """``key``, then the emoji an emoticon stands for, then the first part of a ZWJ sequence."""
    keys = [key]
    if key in EMOTICONS:
        keys.append(_IS_MODIFIER.sub("", EMOTICONS[key]))
    if _ZWJ in key:
        keys.append(key.split(_ZWJ)[0])
    return keys


def emoji_meaning(key: str) -> Optional[str]:
    """The word for one emoji or emoticon (an :func:`emoji_key`): the train table's, else the
    hand-written one's, else None."""
    for table in (train_meanings(), HAND_MEANINGS):
        for candidate in _candidates(key):
            if candidate in table:
                return table[candidate]
    return None


def emoji_to_meaning(text: str, *, append: bool = False, collapse: bool = True,
                     fallback: str = "keep") -> str:
    """``text`` with each emoji and emoticon written as the word of the GoEmotions label it goes
    with (:func:`emoji_meaning`): in its place, or (``append``) after the text, which is kept as
    given.  ``collapse`` writes a run of one word once (with ``append``: each word once).  An emoji
    without a word is kept (``fallback="keep"``), dropped (``"drop"``) or named
    (``"name"``, as :func:`emoji_to_words`).  A text whose emoji have no word comes back unchanged
    with ``"keep"``."""
    if fallback not in ("keep", "drop", "name"):
        raise ValueError(f"fallback must be keep, drop or name, not {fallback!r}")

    def words_for(match: re.Match) -> Optional[str]:
        words = emoji_meaning(emoji_key(match))
        if words is not None or fallback == "keep":
            return words
        return _words(match) if fallback == "name" else ""

    if not append:
        return _rewrite(text, words_for, collapse)
    added = []
    for match in _PATTERN.finditer(text):
        words = words_for(match)
        if words and not (collapse and words in added):
            added.append(words)
    return f"{text} {' '.join(added)}" if added else text


_WORD = re.compile(r"\w")


def emoji_only(text: str) -> bool:
    """Whether ``text`` has emoji or emoticons and no word besides them (punctuation and spaces
    allowed): ``"😡😡😡"``, ``":( !!"``; not ``"lol 😂"``."""
    matches = find_emoji(text)
    if not matches:
        return False
    rest, end = [], 0
    for match in matches:
        rest.append(text[end:match.start()])
        end = match.end()
    rest.append(text[end:])
    return not _WORD.search(" ".join(rest))


def emoji_only_to_meaning(text: str) -> str:
    """A text of emoji and emoticons alone as their words (:func:`emoji_to_meaning`); any other
    text as given.  In GoEmotions a text's labels follow its words, and a word added for an
    emoji beside them pulls the scores away from those labels (docs/models.md), so emoji are read
    only where they are all there is."""
    return emoji_to_meaning(text) if emoji_only(text) else text


# What a model's ``normalize_emoji`` setting reads texts through (``true`` is ``"names"``).
NORMALIZERS = {"names": emoji_to_words, "meaning": emoji_only_to_meaning}


def normalizer(setting) -> Optional[Callable[[str], str]]:
    """The function for a ``normalize_emoji`` setting: ``false`` none, ``true`` or ``"names"``
    :func:`emoji_to_words`, ``"meaning"`` :func:`emoji_only_to_meaning`."""
    if setting is False or setting is None:
        return None
    key = "names" if setting is True else setting
    if key not in NORMALIZERS:
        raise ValueError(f"normalize_emoji must be false, true, {', '.join(map(repr, NORMALIZERS))}; "
                         f"not {setting!r}")
    return NORMALIZERS[key]
