"""Table-driven tests for the local Okta Expression Language evaluator."""

from __future__ import annotations

import pytest

from checks.expressions import CannotEvaluate, evaluate, referenced_attributes

USER: dict[str, object] = {
    "firstName": "Jane",
    "lastName": "Anderson",
    "email": "jane.doe@example.com",
    "department": "Sales",
    "title": "",
    "nickName": None,
    "employeeNumber": "42",
    "groups": ["a", "b"],
    "age": 30,
    "score": 2.5,
    "manager": True,
}
APPUSER: dict[str, object] = {"lastName": "Smith"}

EVALUATES: list[tuple[str, object]] = [
    # references
    ("user.firstName", "Jane"),
    ("user.nickName", None),
    ("user.doesNotExist", None),
    ("appuser.lastName", "Smith"),
    ("appuser.missing", None),
    ("user.groups", ["a", "b"]),
    ("user.groups[0]", "a"),
    ("user.groups[1]", "b"),
    ("user.groups[5]", None),
    # literals
    ('"double"', "double"),
    ("'single'", "single"),
    (r'"say \"hi\""', 'say "hi"'),
    (r"'it\'s'", "it's"),
    (r"'back\\slash'", "back\\slash"),
    ("''", ""),
    ("42", 42),
    ("4.25", 4.25),
    ("true", True),
    ("false", False),
    ("null", None),
    # + concatenation and addition
    ('user.firstName + " " + user.lastName', "Jane Anderson"),
    ("user.firstName + '.' + appuser.lastName", "Jane.Smith"),
    ('"x" + user.nickName', "xnull"),
    ('user.title + "!"', "!"),
    ('"n" + 1', "n1"),
    ('"n" + 1.5', "n1.5"),
    ('"b" + true', "btrue"),
    ("1 + 2", 3),
    ("1 + 2.5", 3.5),
    ("user.age + 1", 31),
    # equality and relational
    ('user.department == "Sales"', True),
    ("user.department == 'sales'", False),
    ('user.department != "Sales"', False),
    ("user.nickName == null", True),
    ("user.title == null", False),
    ('user.title == ""', True),
    ("1 == 1.0", True),
    ('1 == "1"', False),
    ("true == 1", False),
    ("user.age > 18", True),
    ("user.age < 18", False),
    ("user.age >= 30", True),
    ("user.age <= 29", False),
    ('"abc" < "abd"', True),
    # logical operators
    ("true AND false", False),
    ("true and true", True),
    ("true && true", True),
    ("false OR true", True),
    ("false || false", False),
    ("!true", False),
    ("NOT false", True),
    ("!(user.age > 18)", False),
    ("false AND user.nickName", False),  # short-circuits like SpEL
    ("true OR user.nickName", True),
    # ternary and Elvis
    ('user.department == "Sales" ? "S" : "O"', "S"),
    ('user.title != "" ? user.title : "none"', "none"),
    ('true ? "a" : false ? "b" : "c"', "a"),
    ('false ? "a" : false ? "b" : "c"', "c"),
    ('user.nickName ?: "fallback"', "fallback"),
    ('user.title ?: "fallback"', "fallback"),
    ('user.firstName ?: "fallback"', "Jane"),
    ('user.nickName ?: user.title ?: "last"', "last"),
    ('user.department == "Sales" ? user.nickName ?: "n/a" : "other"', "n/a"),
    (
        'user.employeeNumber != "" AND user.employeeNumber != null'
        " ? user.employeeNumber : user.nickName",
        "42",
    ),
    # precedence
    ('"a" + "b" == "ab" ? 1 : 2', 1),
    ("true OR false AND false", True),
    ("(true OR false) AND false", False),
    ("1 + 2 > 2 == true", True),
    ("!false == true", True),
    ('("a" + "b") + "c"', "abc"),
    # String functions
    ('String.append(user.firstName, "x")', "Janex"),
    ('String.append(user.nickName, "x")', None),
    ('String.join(".", user.firstName, user.lastName)', "Jane.Anderson"),
    ('String.join(",", user.nickName, "a", null, "b")', "a,b"),
    ("String.len(user.firstName)", 4),
    ("String.len(user.title)", 0),
    ("String.len(user.nickName)", None),
    ("String.removeSpaces(' a b  c ')", "abc"),
    ('String.replace("a-b-c", "-", "+")', "a+b+c"),
    ('String.replace(user.email, "[.@]", "_")', "jane_doe_example_com"),
    ('String.replaceFirst("a-b-c", "-", "+")', "a+b-c"),
    ('String.startsWith(user.email, "jane")', True),
    ('String.startsWith(user.email, "doe")', False),
    ('String.stringContains(user.email, "@example")', True),
    ('String.stringContains(user.email, "@other")', False),
    ('String.stringSwitch(user.department, "other", "Eng", "E", "Sal", "S")', "S"),
    ('String.stringSwitch(user.department, "other", "Eng", "E")', "other"),
    ('String.stringSwitch(user.nickName, "other", "Eng", "E")', None),
    ("String.substring(user.firstName, 1, 3)", "an"),
    ("String.substring(user.firstName, 0, 10)", "Jane"),
    ('String.substringAfter(user.email, "@")', "example.com"),
    ('String.substringAfter(user.email, "#")', ""),
    ('String.substringBefore(user.email, "@")', "jane.doe"),
    ('String.substringBefore(user.email, "#")', "jane.doe@example.com"),
    ("String.substringBefore(user.nickName, '@')", None),
    ("String.toUpperCase(user.firstName)", "JANE"),
    ("String.toLowerCase(user.firstName)", "jane"),
    ("String.toLowerCase(user.nickName)", None),
    # bare forms
    ("substringBefore(user.email, '@')", "jane.doe"),
    ("substringAfter(user.email, '@')", "example.com"),
    ("substring(user.lastName, 0, 3)", "And"),
    ("toUpperCase(user.department)", "SALES"),
    ("toLowerCase(user.department)", "sales"),
    # nesting
    ("String.toLowerCase(String.substringBefore(user.email, '@'))", "jane.doe"),
    ("String.toUpperCase(user.firstName + ' ' + String.substring(user.lastName, 0, 1))", "JANE A"),
    # Convert
    ("Convert.toInt(user.employeeNumber)", 42),
    ("Convert.toInt(12)", 12),
    ("Convert.toInt(123.4)", 123),
    ("Convert.toInt(123.5)", 124),
    ("Convert.toInt(user.score)", 3),
    ('Convert.toInt(Convert.toNum("-2.5"))', -2),  # Math.round rounds half up
    ("Convert.toInt(user.nickName)", None),
    ('Convert.toNum("1.5")', 1.5),
    ("Convert.toNum(user.age)", 30.0),
    ("Convert.toNum(user.employeeNumber) > 40", True),
]


@pytest.mark.parametrize(("expression", "expected"), EVALUATES, ids=[e for e, _ in EVALUATES])
def test_evaluate(expression: str, expected: object) -> None:
    result = evaluate(expression, USER, APPUSER)
    assert result == expected
    assert type(result) is type(expected)


UNSUPPORTED: list[str] = [
    # references outside user./appuser.
    "zendesk.firstName",
    "idpuser.firstName",
    "$app.firstName",
    "user",
    "user.manager.name",
    'user.getInternalProperty("id")',
    # functions outside the subset
    'Arrays.contains(user.groups, "a")',
    "Time.now()",
    'Iso3166Convert.toAlpha2("US")',
    'getManagerUser("active_directory").firstName',
    'isMemberOfGroupName("Sales")',
    "String.reverse(user.firstName)",
    "user.firstName.toUpperCase()",
    # wrong arity
    "String.len()",
    "String.len(user.firstName, 1)",
    'String.substringBefore(user.email, "@", "x")',
    'String.stringSwitch(user.department, "other", "Eng")',
    # type errors
    "String.len(5)",
    "String.append(user.firstName, user.nickName)",
    "String.substring(user.firstName, '0', 2)",
    "String.substring(user.firstName, 3, 1)",
    "user.firstName[0]",
    'user.groups["0"]',
    "user.nickName + null",
    "1 + true",
    "user.nickName ? 1 : 2",
    "user.firstName AND true",
    "!user.nickName",
    "user.nickName < 5",
    '"a" < 1',
    "user.groups == user.groups",
    'Convert.toInt("abc")',
    'Convert.toInt("1.5")',
    'Convert.toNum("1,5")',
    'Convert.toInt("99999999999")',
    "2147483647 + 1",
    "99999999999",
    '"x" + Convert.toNum("1e7")',  # Java would print 1.0E7
    "Convert.toInt(true)",
    # Java-specific behaviour we refuse to guess
    'String.replace(user.email, "(\\\\w+)@", "$1")',
    'String.replace(user.email, "[", "x")',
    'String.removeSpaces("a\tb")',
    'String.substring("\U0001f600abc", 0, 2)',
    # syntax errors
    "",
    "   ",
    "user.",
    '"unterminated',
    "'unterminated",
    "user.firstName +",
    "(user.firstName",
    "user.firstName)",
    "user.firstName user.lastName",
    "true ? 1",
    "1 - 2",
    "{1, 2}[0]",
    r'"bad \n escape"',
    "user.firstName == = 'x'",
]


@pytest.mark.parametrize("expression", UNSUPPORTED, ids=[repr(e) for e in UNSUPPORTED])
def test_cannot_evaluate(expression: str) -> None:
    with pytest.raises(CannotEvaluate) as caught:
        evaluate(expression, USER, APPUSER)
    assert str(caught.value).startswith(f"cannot evaluate locally: {expression}")


def test_appuser_reference_without_appuser_profile() -> None:
    with pytest.raises(CannotEvaluate, match=r"^cannot evaluate locally: appuser\.lastName"):
        evaluate("appuser.lastName", USER)


def test_message_names_expression_and_reason() -> None:
    with pytest.raises(CannotEvaluate) as caught:
        evaluate("Time.now()", USER)
    assert (
        str(caught.value) == "cannot evaluate locally: Time.now() (unsupported function Time.now)"
    )
    assert caught.value.expression == "Time.now()"


def test_user_profile_is_not_mutated() -> None:
    profile = dict(USER)
    evaluate("user.groups[9] ?: user.firstName", profile)
    assert profile == USER


REFERENCES: list[tuple[str, frozenset[str]]] = [
    ('user.firstName + " " + user.lastName', frozenset({"firstName", "lastName"})),
    ("appuser.lastName", frozenset()),
    ('user.firstName + appuser.x + zendesk.y + "z"', frozenset({"firstName"})),
    ("String.toLowerCase(String.substringBefore(user.email, '@'))", frozenset({"email"})),
    ("user.groups[0]", frozenset({"groups"})),
    (
        'user.employeeNumber != "" ? user.employeeNumber : user.nickName ?: user.title',
        frozenset({"employeeNumber", "nickName", "title"}),
    ),
    ('Arrays.contains(user.groups, "a")', frozenset({"groups"})),
    ('user.getInternalProperty("id")', frozenset()),
    ('"literal"', frozenset()),
]


@pytest.mark.parametrize(("expression", "expected"), REFERENCES, ids=[e for e, _ in REFERENCES])
def test_referenced_attributes(expression: str, expected: frozenset[str]) -> None:
    assert referenced_attributes(expression) == expected


@pytest.mark.parametrize("expression", ["user.", '"open', "", "user.firstName +"])
def test_referenced_attributes_rejects_unparseable(expression: str) -> None:
    with pytest.raises(CannotEvaluate, match=r"^cannot evaluate locally: "):
        referenced_attributes(expression)
