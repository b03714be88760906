"""Okta's documented expressions (tests/expression_corpus.py) through the local evaluator:
every documented value exactly, every refusal with its reason, and the tally."""

from __future__ import annotations

from collections import Counter

import pytest

from checks.expressions import CannotEvaluate, evaluate
from checks.model import App
from checks.sources import el_defaults
from tests.harness.expression_corpus import CORPUS, POPULAR, DocCase, Refuse


def _outcome(case: DocCase) -> tuple[str, str]:
    """("correct" | "refused" | "wrong", what happened)."""
    try:
        defaults = el_defaults(None if case.sourced_by is None else _sources(case.sourced_by))
        result = evaluate(
            case.expression, case.user, case.appuser, groups=case.groups, defaults=defaults
        )
    except CannotEvaluate as exc:
        reason = exc.reason or ""
        fits = isinstance(case.expected, Refuse) and reason and case.expected.because in reason
        return ("refused" if fits else "wrong"), f"refused: {reason}"
    if not isinstance(case.expected, Refuse) and _identical(result, case.expected):
        return "correct", repr(result)
    return "wrong", f"gave {result!r}"


def _sources(names: tuple[str, ...]) -> tuple[App, ...]:
    """The user's profile-source apps, by app name."""
    features = frozenset({"IMPORT_PROFILE_UPDATES", "PROFILE_MASTERING"})
    return tuple(App(f"0oa{n}", n, n, "ACTIVE", "BOOKMARK", features) for n in names)


def _identical(result: object, expected: object) -> bool:
    """Equal with the same Java-meaningful types all the way down (1 is not 1.0 or True)."""
    if isinstance(result, list) and isinstance(expected, list):
        return len(result) == len(expected) and all(map(_identical, result, expected))
    return type(result) is type(expected) and result == expected


@pytest.mark.parametrize("case", CORPUS, ids=[c.expression for c in CORPUS])
def test_documented_expression(case: DocCase) -> None:
    verdict, what = _outcome(case)
    assert verdict != "wrong", (
        f"{case.expression}: expected {case.expected!r}, {what} ({case.source})"
    )


def test_tally_has_no_wrong_answer(capsys: pytest.CaptureFixture[str]) -> None:
    tally = Counter(_outcome(case)[0] for case in CORPUS)
    with capsys.disabled():
        print(
            f"\nOkta documentation corpus: {len(CORPUS)} expressions, {tally['correct']} correct, "
            f"{tally['refused']} refused with a reason, {tally['wrong']} wrong"
        )
    assert tally["wrong"] == 0
    assert tally["correct"] > tally["refused"]


def test_every_popular_expression_is_in_the_corpus() -> None:
    # The reference's "Popular expressions" table has eleven rows.
    assert len([case for case in CORPUS if case.source == POPULAR]) == 11


def test_every_case_names_its_source() -> None:
    assert all(case.source.startswith("https://") for case in CORPUS)
