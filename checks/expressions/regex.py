"""The part of java.util.regex whose meaning Python's `re` shares exactly.

Accepted: literals, escaped punctuation, `.`, `\\d \\s \\w` (and negations), `\\t \\n \\r \\f`,
flat character classes with ranges, groups `(...)`, `(?:...)`, lookaheads, alternation,
greedy and lazy quantifiers, `^` `$`, and a leading `(?i)`. Compiled with re.ASCII, because
Java's classes and case-insensitivity are ASCII-only by default. Anything else (possessive
quantifiers, `\\p{..}`, `\\b`, back-references, nested or intersected classes, named groups,
other flags) is refused rather than translated.
"""

from __future__ import annotations

import re
import warnings
from functools import lru_cache

from checks.expressions.errors import Refused

METACHARACTERS = frozenset("\\^$.|?*+()[]{}")
_SAME_ESCAPES = frozenset("dDsSwWtnrf")
_QUANTIFIER = re.compile(r"\{[0-9]+(,[0-9]*)?\}")
_GROUP_OPENERS = ("(?:", "(?=", "(?!")
# Java's `.` and `$` also treat these as line ends; Python does not.
_JAVA_ONLY_LINE_ENDS = frozenset("\r\u0085\u2028\u2029")


def check_subject(text: str) -> None:
    if any(char in _JAVA_ONLY_LINE_ENDS for char in text):
        raise Refused("the text has line terminators that Java and Python regexes treat apart")


@lru_cache(maxsize=256)
def java_regex(pattern: str) -> re.Pattern[str]:
    flags = re.ASCII
    body = pattern
    if body.startswith("(?i)"):
        flags |= re.IGNORECASE
        body = body[4:]
    _check(body)
    try:
        with warnings.catch_warnings():
            # Python warns where its syntax is about to change (nested sets, `&&`, `--`).
            warnings.simplefilter("error")
            return re.compile(body, flags)
    except (re.error, Warning) as exc:
        raise Refused(f"regex {pattern!r}: {exc}") from exc


def _check(pattern: str) -> None:
    pos, in_class = 0, False
    while pos < len(pattern):
        if pattern[pos] == "\\":
            _check_escape(pattern, pos)
            pos += 2
        elif in_class:
            pos, in_class = _class_char(pattern, pos)
        else:
            pos, in_class = _outside_class(pattern, pos)
    if in_class:
        raise Refused(f"regex {pattern!r}: unclosed character class")


def _check_escape(pattern: str, pos: int) -> None:
    escaped = pattern[pos + 1 : pos + 2]
    # Both engines read a backslash before punctuation as that literal character.
    if not escaped or (escaped.isalnum() and escaped not in _SAME_ESCAPES):
        raise Refused(f"regex {pattern!r}: escape \\{escaped} is not modelled")


def _class_char(pattern: str, pos: int) -> tuple[int, bool]:
    char = pattern[pos]
    opened = pattern[pos - 1] == "[" or pattern[pos - 2 : pos] == "[^"
    if char == "[" or pattern.startswith("&&", pos) or (char == "]" and opened):
        raise Refused(f"regex {pattern!r}: nested, intersected or empty classes differ in Java")
    return pos + 1, char != "]"


def _outside_class(pattern: str, pos: int) -> tuple[int, bool]:
    char = pattern[pos]
    if char == "[":
        return pos + (2 if pattern.startswith("[^", pos) else 1), True
    if char == "(" and pattern.startswith("(?", pos):
        if not pattern.startswith(_GROUP_OPENERS, pos):
            raise Refused(f"regex {pattern!r}: group syntax {pattern[pos : pos + 4]!r}")
        return pos + 3, False
    if char == "{":
        quantifier = _QUANTIFIER.match(pattern, pos)
        if quantifier is None:
            raise Refused(f"regex {pattern!r}: a '{{' that is not a quantifier")
        return _after_quantifier(pattern, quantifier.end()), False
    if char in "*+?":
        return _after_quantifier(pattern, pos + 1), False
    return pos + 1, False


def _after_quantifier(pattern: str, pos: int) -> int:
    if pattern.startswith("+", pos):
        raise Refused(f"regex {pattern!r}: possessive quantifiers are not modelled")
    return pos + 1 if pattern.startswith("?", pos) else pos
