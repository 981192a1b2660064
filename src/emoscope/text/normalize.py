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

A model reads texts this way when its ``config.json`` says ``"normalize_emoji": true``
(:class:`emoscope.persistence.ModelConfig`); texts are normalised only on their way into the
model, so results, offsets and explanations keep the text as given.
"""

from __future__ import annotations

import re
import unicodedata

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
_IS_MODIFIER = re.compile(f"[{_MODIFIER}]")
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


def _words(match: re.Match) -> str:
    if match.lastgroup == "flag":
        return "flag"
    if match.lastgroup == "emoji":
        return emoji_words(match.group())
    emoticon = match.group()
    while emoticon not in EMOTICONS:  # a repeated mouth, ":)))"
        emoticon = emoticon[:-1]
    return emoji_words(EMOTICONS[emoticon])


def emoji_to_words(text: str, *, collapse: bool = False, keep_original: bool = False,
                   emoji: bool = True, emoticons: bool = True) -> str:
    """``text`` with each emoji and emoticon written as words (see the module's description);
    ``keep_original`` keeps each one after its words; ``emoji=False`` or ``emoticons=False``
    leaves those as they are.  A text without any comes back unchanged."""
    out, end, last = [], 0, None
    for match in _PATTERN.finditer(text):
        if not (emoticons if match.lastgroup == "emoticon" else emoji):
            continue
        words = _words(match)
        if not words:
            continue
        gap = text[end:match.start()]
        if collapse and words == last and not gap.strip():
            end = match.end()
            continue
        original = f" {match.group()}" if keep_original else ""
        out += [gap, f" {words}{original} "]
        end, last = match.end(), words
    if not out:
        return text
    out.append(text[end:])
    return _SPACES.sub(" ", "".join(out)).strip()

