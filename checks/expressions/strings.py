"""String.* and Convert.* (and the deprecated bare string functions) of Okta's EL reference.

Each function does what the reference's table and examples show
(https://developer.okta.com/docs/reference/okta-expression-language/#string-functions).
Where they leave a case open (a search string that is absent, indexes past the end, a .5 to
round), the function refuses instead of picking an implementation's answer.
"""

from __future__ import annotations

import math
import re

from checks.expressions import regex
from checks.expressions.errors import Refused
from checks.expressions.java import describe, double_text, int32, number

# Case mappings below U+0250 (Latin, Latin-1, Latin Extended-A/B) are the same in every Java
# and Python Unicode version; past it they changed (Georgian Mtavruli in Unicode 11, ...).
_STABLE_CASE_LIMIT = 0x250
_INT_TEXT = re.compile(r"-?[0-9]+")
_DECIMAL_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def text(value: object, what: str = "argument") -> str:
    if not isinstance(value, str):
        raise Refused(f"expected a string {what}, got {describe(value)}")
    return value


def integer(value: object, what: str = "argument") -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise Refused(f"expected an integer {what}, got {describe(value)}")
    return value


def utf16_length(value: str) -> int:
    return len(value.encode("utf-16-le")) // 2


def _bmp_only(value: str, function: str) -> str:
    # Java indexes UTF-16 code units; with only BMP characters they are Python's indexes.
    if any(ord(char) > 0xFFFF for char in value):
        raise Refused(
            f"{function} indexes UTF-16 code units and the text has characters past U+FFFF"
        )
    return value


def append(args: list[object]) -> str:
    return text(args[0]) + text(args[1])


def join(args: list[object]) -> str:
    return text(args[0], "separator").join(text(part) for part in args[1:])


def length(args: list[object]) -> int:
    return utf16_length(text(args[0]))


def remove_spaces(args: list[object]) -> str:
    result = text(args[0]).replace(" ", "")
    if any(char.isspace() for char in result):
        raise Refused("the input has whitespace other than spaces; Okta does not say if it goes")
    return result


def starts_with(args: list[object]) -> bool:
    return text(args[0]).startswith(text(args[1]))


def contains(args: list[object]) -> bool:
    return text(args[1]) in text(args[0])


def string_switch(args: list[object]) -> str:
    if len(args) % 2:
        raise Refused("stringSwitch needs key/value pairs after the default")
    subject, default = text(args[0]), text(args[1])
    # The reference's examples: the first key (in argument order) found in the input wins.
    for key, value in zip(args[2::2], args[3::2], strict=True):
        if text(key, "key") in subject:
            return text(value, "value")
    return default


def substring(args: list[object]) -> str:
    subject = _bmp_only(text(args[0]), "substring")
    start, end = integer(args[1], "start index"), integer(args[2], "end index")
    if not 0 <= start <= end <= len(subject):
        raise Refused(
            f"substring {start}..{end} of a {len(subject)}-character string: Okta does not "
            "document indexes outside the text"
        )
    return subject[start:end]


def substring_after(args: list[object]) -> str:
    subject, separator = _found(args, "substringAfter")
    return subject[subject.find(separator) + len(separator) :]


def substring_before(args: list[object]) -> str:
    subject, separator = _found(args, "substringBefore")
    return subject[: subject.find(separator)]


def _found(args: list[object], function: str) -> tuple[str, str]:
    subject, separator = text(args[0]), text(args[1], "search string")
    if not separator or separator not in subject:
        raise Refused(f"{function} when the search string is absent or empty is undocumented")
    return subject, separator


def upper(args: list[object]) -> str:
    return _stable_case(text(args[0])).upper()


def lower(args: list[object]) -> str:
    return _stable_case(text(args[0])).lower()


def _stable_case(value: str) -> str:
    if any(ord(char) >= _STABLE_CASE_LIMIT for char in value):
        raise Refused("case mapping outside Latin scripts depends on Okta's Java/Unicode version")
    return value


def replace_all(args: list[object]) -> str:
    return _replace(args, first_only=False)


def replace_first(args: list[object]) -> str:
    return _replace(args, first_only=True)


def _replace(args: list[object], *, first_only: bool) -> str:
    """Okta does not say whether `match` is a regex (Java's replaceAll/replaceFirst) or plain
    text, so this answers only where both readings give the same result."""
    subject, match, replacement = text(args[0]), text(args[1], "match"), text(args[2])
    literal = subject.replace(match, replacement, 1 if first_only else -1)
    if "$" in replacement or "\\" in replacement:
        raise Refused("$ and \\ in the replacement mean groups/escapes if Okta uses a regex")
    if not any(char in regex.METACHARACTERS for char in match):
        return literal
    regex.check_subject(subject)
    pattern = regex.java_regex(match)
    regex_result = pattern.sub(lambda _: replacement, subject, count=1 if first_only else 0)
    if regex_result != literal:
        raise Refused(
            f"{match!r} gives different results as a regex and as plain text; Okta does not "
            "document which String.replace uses"
        )
    return literal


def to_int(args: list[object]) -> int:
    value = args[0]
    if isinstance(value, str):
        if not _INT_TEXT.fullmatch(value):
            raise Refused(f"Convert.toInt of {value!r}: only plain integer text is documented")
        return int32(int(value))
    match number(value):
        case int() as whole:
            return int32(whole)
        case float() as double:
            return _rounded(double)
    raise Refused(f"Convert.toInt of {describe(value)}")


def _rounded(value: float) -> int:
    if not math.isfinite(value):
        raise Refused(f"Convert.toInt of {value}")
    floor = math.floor(value)
    if value - floor == 0.5:
        # "rounds ... either up or down to the nearest integer": a tie has no nearest one.
        raise Refused(f"Convert.toInt of {double_text(value)}: Okta does not say how .5 rounds")
    return int32(floor + 1 if value - floor > 0.5 else floor)


def to_num(args: list[object]) -> float:
    value = args[0]
    if isinstance(value, str):
        if not _DECIMAL_TEXT.fullmatch(value):
            raise Refused(f"Convert.toNum of {value!r}: only plain decimal text is documented")
        return float(value)
    found = number(value)
    if found is None:
        raise Refused(f"Convert.toNum of {describe(value)}")
    return float(found)
