"""Table-driven tests for the local Okta Expression Language evaluator (exact or refused).

Sources for the semantics: Okta's EL reference
(https://developer.okta.com/docs/reference/okta-expression-language/) and Spring SpEL, which
Okta EL is a subset of (its Tokenizer, InternalSpelExpressionParser, OpPlus and Indexer).
Documented examples live in tests/expression_corpus.py; these are the edges around them.
"""

from __future__ import annotations

import pytest

from checks.expressions import CannotEvaluate, evaluate, needs_groups, referenced_attributes
from checks.model import Group

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
GROUPS = (
    Group("00g1sales", "Sales"),
    Group("00g2eng", "Engineering West"),
    Group("00g3every", "Everyone"),
)

EVALUATES: list[tuple[str, object]] = [
    # references
    ("user.firstName", "Jane"),
    ("user.nickName", None),
    ("user.doesNotExist", None),
    ("appuser.lastName", "Smith"),
    ("appUser.lastName", "Smith"),  # help.okta.com spells it appUser
    ("appuser.missing", None),
    ("source.firstName", "Jane"),  # in an Okta-to-app mapping, source is the Okta user
    ("user.displayName", "Jane Anderson"),  # never edited: firstName + " " + lastName
    ("user.groups", ["a", "b"]),
    ("user.groups[0]", "a"),
    ("user.groups[1]", "b"),
    ("user.firstName[0]", "J"),  # SpEL indexes strings too
    ("{1, 2}[0]", 1),
    # literals: no backslash escapes; a quote is doubled (SpEL "Literal Expressions")
    ('"double"', "double"),
    ("'single'", "single"),
    ("''", ""),
    ("'O''Brien'", "O'Brien"),
    ('"say ""hi"""', 'say "hi"'),
    ("''''", "'"),
    ('"doesn\'t"', "doesn't"),
    ('"CORP\\\\"', "CORP\\\\"),  # two backslashes stay two
    ('"GMAIL\\" + user.firstName', "GMAIL\\Jane"),  # one backslash, then +
    ('"bad \\n escape"', "bad \\n escape"),
    ("42", 42),
    ("4.25", 4.25),
    ("1.5d", 1.5),
    ("6.0221415E+23", 6.0221415e23),
    ("true", True),
    ("TRUE", True),
    ("False", False),
    ("null", None),
    ("NULL", None),
    # + concatenation: SpEL's OpPlus renders null as "null" and numbers as Java does
    ('user.firstName + " " + user.lastName', "Jane Anderson"),
    ("user.firstName + '.' + appuser.lastName", "Jane.Smith"),
    ('"x" + user.nickName', "xnull"),
    ('user.title + "!"', "!"),
    ('"n" + 1', "n1"),
    ('"n" + 1.5', "n1.5"),
    ('"n" + 1.0', "n1.0"),
    ('"n" + 0.001', "n0.001"),
    ('"n" + 1e7', "n1.0E7"),
    ('"n" + 1.5e-5', "n1.5E-5"),
    ('"n" + -0.0', "n-0.0"),
    ('"b" + true', "btrue"),
    ('"x" + user.score', "x2.5"),
    # arithmetic with Java int and double semantics
    ("1 + 2", 3),
    ("1 + 2.5", 3.5),
    ("1 - 2", -1),
    ("2 + 3 * 4", 14),
    ("(2 + 3) * 4", 20),
    ("7 / 2", 3),
    ("-7 / 2", -3),  # truncates toward zero
    ("7 % -3", 1),  # the sign of the dividend
    ("-7 % 3", -1),
    ("7.5 % 2", 1.5),
    ("7 / 2.0", 3.5),
    ("10 div 4", 2),
    ("10 MOD 4", 2),
    ("- -1", 1),
    ("+5", 5),
    ("user.age + 1", 31),  # 31 or 31.0: the same number whatever the attribute's type
    ("-user.age", -30),
    ("Convert.toNum(user.age)", 30.0),
    # equality and relational
    ('user.department == "Sales"', True),
    ("user.department == 'sales'", False),
    ('user.department != "Sales"', False),
    ("user.department EQ 'Sales'", True),
    ("'a' ne 'b'", True),
    ("user.nickName == null", True),
    ("null == null", True),
    ("user.groups != null", True),
    ("user.title == null", False),
    ('user.title == ""', True),
    ("1 == 1.0", True),
    ('1 == "1"', False),
    ("true == 1", False),
    ("user.age > 18", True),
    ("user.age gt 18", True),
    ("user.age < 18", False),
    ("user.age >= 30", True),
    ("user.age <= 29", False),
    ('"abc" < "abd"', True),
    ('"\uffff" < "\U0001f600"', False),  # Java compares UTF-16 units: U+FFFF > U+D83D
    ('user.email matches ".*@example\\.com"', True),
    ("user.email matches 'example'", False),  # matches() must cover the whole text
    ("user.department matches '(?i)SALES'", True),
    # logical operators
    ("true AND false", False),
    ("true and true", True),
    ("true && true", True),
    ("false OR true", True),
    ("false || false", False),
    ("!true", False),
    ("NOT false", True),
    ("not true", False),
    ("!(user.age > 18)", False),
    ("false AND user.nickName", False),  # short-circuits like SpEL
    ("true OR user.nickName", True),
    ("!false == true", True),
    # ternary and Elvis (null or "" takes the default, per Okta's reference)
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
    ("(1 + 2 > 2) == true", True),
    ('("a" + "b") + "c"', "abc"),
    # String functions
    ('String.append(user.firstName, "x")', "Janex"),
    ('String.join(".", user.firstName, user.lastName)', "Jane.Anderson"),
    ('String.join(",")', ""),
    ("String.len(user.firstName)", 4),
    ("String.len(user.title)", 0),
    ('String.len("\U0001f600")', 2),  # UTF-16 code units, as Java counts
    ("String.removeSpaces(' a b  c ')", "abc"),
    ('String.replace("a-b-c", "-", "+")', "a+b+c"),
    ('String.replaceFirst("a-b-c", "-", "+")', "a+b-c"),
    ('String.replace("a-b", "[.]", "+")', "a-b"),  # regex and plain text agree only here...
    ('String.replace("ab", "", "-")', "-a-b-"),  # ...and here
    ('String.startsWith(user.email, "jane")', True),
    ('String.startsWith(user.email, "doe")', False),
    ('String.stringContains(user.email, "@example")', True),
    ('String.stringContains(user.email, "@other")', False),
    ('String.stringSwitch(user.department, "other", "Eng", "E", "Sal", "S")', "S"),
    ('String.stringSwitch(user.department, "other", "Eng", "E")', "other"),
    ("String.substring(user.firstName, 1, 3)", "an"),
    ("String.substring(user.firstName, 0, 4)", "Jane"),
    ('String.substringAfter(user.email, "@")', "example.com"),
    ('String.substringBefore(user.email, "@")', "jane.doe"),
    ("String.toUpperCase(user.firstName)", "JANE"),
    ("String.toLowerCase(user.firstName)", "jane"),
    ('String.toUpperCase("straße")', "STRASSE"),  # same in Java and Python
    # bare (deprecated) forms
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
    ('Convert.toInt("-7")', -7),
    ("Convert.toInt(12)", 12),
    ("Convert.toInt(123.4)", 123),
    ("Convert.toInt(123.6)", 124),
    ("Convert.toInt(-2.6)", -3),
    ('Convert.toNum("1.5")', 1.5),
    ("Convert.toNum(user.employeeNumber) > 40", True),
    # Arrays
    ('Arrays.contains(user.groups, "a")', True),
    ('Arrays.contains(user.groups, "z")', False),
    ('Arrays.add(user.groups, "c")', ["a", "b", "c"]),
    ('Arrays.remove(user.groups, "a")', ["b"]),
    ("Arrays.clear(user.groups)", []),
    ("Arrays.get(user.groups, 1)", "b"),
    ("Arrays.size(user.groups)", 2),
    ("Arrays.size(user.nickName)", 0),
    ("Arrays.isEmpty({})", True),
    ("Arrays.isEmpty(user.nickName)", True),
    ('Arrays.flatten(user.groups, "c", {1, true})', ["a", "b", "c", 1, True]),
    ("Arrays.toCsvString({1, 2.5, true, 'x'})", "1,2.5,true,x"),
    ("Arrays.toCsvString({})", ""),
]


@pytest.mark.parametrize(("expression", "expected"), EVALUATES, ids=[e for e, _ in EVALUATES])
def test_evaluate(expression: str, expected: object) -> None:
    result = evaluate(expression, USER, APPUSER)
    assert result == expected
    assert type(result) is type(expected)


# (expression, fragment of the reason)
REFUSES: list[tuple[str, str]] = [
    # references outside the user and app user profiles
    ("zendesk.firstName", "app user profile of app 'zendesk'"),
    ("idpuser.firstName", "IdP user profile"),
    ("$app.firstName", "placeholder"),
    ("office365_app.domain", "settings of app office365"),
    ("user", "bare name"),
    ("firstName", "bare name"),
    ("user.manager.name", "property of an attribute value"),
    ("user.profile.firstName", "property of an attribute value"),
    ("AppUser.lastName", "app 'AppUser'"),
    ('user.getInternalProperty("id")', "id or status"),
    ("String", "bare name"),
    # functions that need state attrsync does not have, or undocumented behaviour
    ("Time.now()", "moment Okta evaluates"),
    ('Time.fromIso8601ToUnix("2015-07-31T17:18:37.979Z")', "exact output"),
    ('Iso3166Convert.toAlpha2("US")', "ISO 3166"),
    ('getManagerUser("active_directory").firstName', "manager's profile"),
    ("hasDirectoryUser()", "Active Directory assignments"),
    ('user.getLinkedObject("manager").lastName', "linked objects"),
    ('isMemberOfGroupNameRegex("/.*")', "does not document how"),
    ('Groups.startsWith("active_directory", "", 100)', "group claims only"),
    ("String.reverse(user.firstName)", "unsupported function String.reverse"),
    ("user.firstName.toUpperCase()", "Java methods on attribute values"),
    ("findWorkdayUser().employeeID", "Workday assignments"),
    # null into functions: Okta's tables never show it (only Arrays.size/isEmpty(NULL))
    ('String.append(user.nickName, "x")', "null argument"),
    ('String.join(",", user.nickName, "a")', "null argument"),
    ("String.len(user.nickName)", "null argument"),
    ('String.stringSwitch(user.nickName, "other", "Eng", "E")', "null argument"),
    ("String.substringBefore(user.nickName, '@')", "null argument"),
    ("String.toLowerCase(user.nickName)", "null argument"),
    ("Convert.toInt(user.nickName)", "null argument"),
    # wrong arity and types
    ("String.len()", "String.len takes 1 argument, got 0"),
    ("String.len(user.firstName, 1)", "String.len takes 1 argument, got 2"),
    ('String.substringBefore(user.email, "@", "x")', "takes 2 arguments, got 3"),
    ("String.join()", "String.join takes 1 or more arguments, got 0"),
    ('isMemberOfGroup("a", "b")', "isMemberOfGroup takes 1 argument, got 2"),
    ('String.stringSwitch(user.department, "other", "Eng")', "key/value pairs"),
    ("String.len(5)", "expected a string argument, got 5"),
    ("String.append(user.firstName, user.nickName)", "null argument"),
    ("String.substring(user.firstName, '0', 2)", "expected an integer start index"),
    ("String.join(',', {'a'})", "expected a string argument, got an array"),
    # undocumented edges of documented functions
    ("String.substring(user.firstName, 0, 10)", "outside the text"),
    ("String.substring(user.firstName, 3, 1)", "outside the text"),
    ('String.substringAfter(user.email, "#")', "absent or empty"),
    ('String.substringBefore(user.email, "#")', "absent or empty"),
    ('String.substringAfter(user.email, "")', "absent or empty"),
    ('String.replace(user.email, "[.@]", "_")', "as a regex and as plain text"),
    ('String.replace("a.b", ".", "-")', "as a regex and as plain text"),
    ('String.replace(user.email, "(\\w+)@", "$1")', "$ and \\"),
    ('String.replace(user.email, "[", "x")', "unclosed character class"),
    ('String.replace(user.email, "a++", "x")', "possessive"),
    ('String.replace(user.email, "\\p{L}", "x")', "escape \\p"),
    ('String.removeSpaces("a\tb")', "whitespace other than spaces"),
    ('String.substring("\U0001f600abc", 0, 2)', "UTF-16"),
    ('String.toUpperCase("ἀ")', "outside Latin scripts"),
    ("Convert.toInt(123.5)", "how .5 rounds"),
    ("Convert.toInt(user.score)", "how .5 rounds"),
    ('Convert.toInt(Convert.toNum("-2.5"))', "how .5 rounds"),
    ('Convert.toInt("abc")', "plain integer text"),
    ('Convert.toInt("1.5")', "plain integer text"),
    ('Convert.toInt("+12")', "plain integer text"),
    ('Convert.toNum("1,5")', "plain decimal text"),
    ('Convert.toNum("1e7")', "plain decimal text"),
    ('Convert.toInt("99999999999")', "overflows a Java int"),
    ("Convert.toInt(true)", "Convert.toInt of True"),
    ('Arrays.add(user.groups, "a")', "already present"),
    ('Arrays.remove(user.groups, "z")', "present 0 times"),
    ("Arrays.remove({1, 2, 1}, 1)", "present 2 times"),
    ("Arrays.get(user.groups, 2)", "Arrays.get(2) of 2 items"),
    ("Arrays.contains(user.groups, 1)", "compares 'a' with 1"),
    ('Arrays.contains(user.nickName, "a")', "null argument"),
    ('Arrays.size("a,b")', "how text becomes an array"),
    ("Arrays.flatten({1, {2}})", "nested arrays"),
    ("Arrays.flatten(user.groups, user.nickName)", "Okta fails to evaluate Arrays.flatten"),
    ('Arrays.flatten("a, b")', "comma-separated text"),
    ('Arrays.toCsvString({"a,b"})', "quoting undocumented"),
    ("Arrays.toCsvString({null})", "toCsvString of null"),
    # the result depends on whether an integral profile value is an integer or a number
    ('"x" + user.age', "age is an integer or a number attribute"),
    ("user.age / 7", "age is an integer or a number attribute"),
    # Java semantics we refuse to guess past
    ("user.groups[5]", "SpEL fails"),  # SpEL's Indexer raises for an index past the end
    ("user.groups[-1]", "SpEL fails"),
    ('user.groups["0"]', "integer index"),
    ("user.nickName[0]", "indexing of null"),
    ("user.nickName + null", "cannot compute null + null"),
    ("1 + true", "cannot compute 1 + True"),
    ("'abc' * 2", "cannot compute"),
    ("2147483647 + 1", "overflows a Java int"),
    ("99999999999", "not a Java int"),
    ("5 / 0", "division by zero"),
    ("5.0 / 0", "not a finite number"),
    ('"x" + (0.1 + 0.2)', "more digits"),
    ("user.nickName ? 1 : 2", "is null"),
    ("user.firstName AND true", "must be a boolean"),
    ("!user.nickName", "is null"),
    ("user.nickName < 5", "cannot compare"),
    ('"a" < 1', "cannot compare"),
    ("user.groups == user.groups", "equality on arrays"),
    ("user.nickName matches 'x'", "left of matches"),
    ("user.email matches '\\bjane'", "escape \\b"),
    ('"a\rb" matches "a.b"', "line terminators"),
    # SpEL features Okta does not document for mappings
    ("user.firstName = 'x'", "assignment"),
    ("user?.firstName", "safe-navigation"),
    ("user.groups.?[true]", "selection"),
    ("T(java.lang.Math).random()", "type references"),
    ("new String('x')", "constructors"),
    ("#root", "variables"),
    ("2 ^ 3", "power"),
    ("1 between {0, 2}", "between"),
    ("user instanceof T(String)", "instanceof"),
    ("user.age++", "increment"),
    ("2L", "suffix 'L'"),
    ("1.5f", "suffix 'f'"),
    ("0x1F", "hexadecimal"),
    ("'a\"\"b'", "SpEL versions read differently"),  # Spring < 5.2 undoubled "" here too
    ("\"it''s\"", "SpEL versions read differently"),
    # syntax errors
    ("", "expected a value"),
    ("   ", "expected a value"),
    ("user.", "expected a name"),
    ('"unterminated', "unterminated string literal"),
    ("'unterminated", "unterminated string literal"),
    ("'it\\'s'", "unterminated string literal"),  # no backslash escapes: 'it\' ends there
    ("user.firstName +", "expected a value"),
    ("(user.firstName", "expected ')'"),
    ("user.firstName)", "expected the end"),
    ("user.firstName user.lastName", "expected the end"),
    ("true ? 1", "expected ':'"),
    ("user.firstName == = 'x'", "assignment"),
    ("1 + 2 > 2 == true", "comparisons do not chain"),
    ("user.age >= 1 == true", "comparisons do not chain"),
    ("1 < 2 < 3", "comparisons do not chain"),
    ("user.lt", "expected a name"),  # lt is an operator even after a dot in SpEL
    ("a \\ b", "backslash outside a string literal"),
    ("user.firstName | 'x'", "unexpected character '|'"),
    ("user.prénom", "unexpected character 'é'"),
]


@pytest.mark.parametrize(("expression", "reason"), REFUSES, ids=[repr(e) for e, _ in REFUSES])
def test_cannot_evaluate(expression: str, reason: str) -> None:
    with pytest.raises(CannotEvaluate) as caught:
        evaluate(expression, USER, APPUSER, groups=GROUPS)
    assert str(caught.value).startswith(f"cannot evaluate locally: {expression}")
    assert caught.value.reason is not None and reason in caught.value.reason


def test_appuser_reference_without_appuser_profile() -> None:
    with pytest.raises(CannotEvaluate, match=r"^cannot evaluate locally: appuser\.lastName"):
        evaluate("appuser.lastName", USER)


def test_display_name_is_the_profile_value_once_set() -> None:
    assert evaluate("user.displayName", {**USER, "displayName": "JA"}) == "JA"
    assert evaluate("user.displayName", {**USER, "displayName": ""}) == ""
    with pytest.raises(CannotEvaluate, match="needs firstName and lastName"):
        evaluate("user.displayName", {"firstName": "Jane"})


def test_message_names_expression_and_reason() -> None:
    with pytest.raises(CannotEvaluate) as caught:
        evaluate("String.reverse('x')", USER)
    assert str(caught.value) == (
        "cannot evaluate locally: String.reverse('x') (unsupported function String.reverse)"
    )
    assert caught.value.expression == "String.reverse('x')"


def test_user_profile_is_not_mutated() -> None:
    profile = dict(USER)
    evaluate('Arrays.add(user.groups, "c")', profile)
    evaluate("Arrays.clear(user.groups)", profile)
    assert profile == USER


def test_an_integer_attribute_is_not_guessed_to_be_a_number() -> None:
    # A `number` attribute holding 3 is a Java Double: "x" + 3.0 is "x3.0", not "x3".
    assert evaluate('"x" + user.n', {"n": 3.0}) == "x3.0"
    with pytest.raises(CannotEvaluate, match="n is an integer or a number attribute"):
        evaluate('"x" + user.n', {"n": 3})
    assert evaluate("user.n * 2 > 5", {"n": 3}) is True


GROUP_CASES: list[tuple[str, object]] = [
    ('isMemberOfGroupName("Sales")', True),
    ('isMemberOfGroupName("Marketing")', False),
    ('isMemberOfGroup("00g2eng")', True),
    ('isMemberOfGroup("00G2ENG")', False),
    ('isMemberOfAnyGroup("00gx", "00g3every")', True),
    ('isMemberOfAnyGroup("00gx", "00gy")', False),
    ('isMemberOfGroupNameStartsWith("Eng")', True),
    ('isMemberOfGroupNameContains("West")', True),
    ('isMemberOfGroupNameContains("North")', False),
    ('getFilteredGroups({"00g1sales", "00gx"}, "group.name", 10)', ["Sales"]),
    ("getFilteredGroups({'00g2eng'}, \"'Okta: ' + group.name\", 10)", ["Okta: Engineering West"]),
    ('getFilteredGroups({"00g1sales"}, "group.id", 10)', ["00g1sales"]),
    ("user.getGroups({'group.profile.name': 'Eng'}).![profile.name]", ["Engineering West"]),
    ("user.getGroups({'group.profile.name': 'Eng', 'operator': 'EXACT'})", []),
    ("user.getGroups({'group.id': {'00g1sales', '00g3every'}}).![id][0]", None),
    ("Arrays.size(user.getGroups({'group.id': {'00g1sales', '00g3every'}}))", 2),
    ('Arrays.contains(getFilteredGroups({"00g1sales"}, "group.name", 10), "Sales")', True),
]


@pytest.mark.parametrize(("expression", "expected"), GROUP_CASES, ids=[e for e, _ in GROUP_CASES])
def test_group_functions(expression: str, expected: object) -> None:
    assert needs_groups(expression)
    if expected is None:  # the order of several groups is not documented
        with pytest.raises(CannotEvaluate, match="order Okta does not document"):
            evaluate(expression, USER, groups=GROUPS)
        return
    assert evaluate(expression, USER, groups=GROUPS) == expected


GROUP_REFUSALS: list[tuple[str, str]] = [
    ('isMemberOfGroupName("sales")', "ignoring case"),
    ('isMemberOfGroupNameStartsWith("eng")', "ignoring case"),
    ('getFilteredGroups({"00g1sales", "00g2eng"}, "group.name", 10)', "order"),
    ('getFilteredGroups({"00g1sales", "00g2eng"}, "group.name", 1)', "Okta returns an error"),
    ('getFilteredGroups({"00gx"}, "group.name", 10)', "empty list or null"),
    ('getFilteredGroups({"00g1sales"}, "group.profile.x", 10)', "id and name"),
    ('getFilteredGroups({"00g1sales"}, "group.name", 101)', "1 through 100"),
    ('getFilteredGroups("00g1sales", "group.name", 10)', "array of group ids"),
    ("user.getGroups({'group.type': 'OKTA_GROUP'})", "group.type"),
    ("user.getGroups({'group.profile.name': 'eng'})", "ignoring case"),
    ("user.getGroups({'group.profile.name': 'Sales'})", "a group object"),
    ("user.getGroups({'group.profile.name': 'S'}).![created]", "id and name"),
]


@pytest.mark.parametrize(
    ("expression", "reason"), GROUP_REFUSALS, ids=[e for e, _ in GROUP_REFUSALS]
)
def test_group_refusals(expression: str, reason: str) -> None:
    with pytest.raises(CannotEvaluate) as caught:
        evaluate(expression, USER, groups=GROUPS)
    assert caught.value.reason is not None and reason in caught.value.reason


def test_group_function_without_groups_says_so() -> None:
    with pytest.raises(CannotEvaluate) as caught:
        evaluate('isMemberOfGroupName("Sales") ? "S" : "O"', USER)
    assert caught.value.reason == "needs the user's groups"


def test_short_circuit_skips_the_group_lookup() -> None:
    assert evaluate('false AND isMemberOfGroupName("Sales")', USER) is False


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('user.firstName + isMemberOfGroup("x")', True),
        ('user.getGroups({"group.id": "x"})', True),
        ('isMemberOfGroupNameRegex("x")', False),  # refused whatever the groups
        ("user.firstName", False),
        ('Arrays.contains(user.groups, "a")', False),
        ('"unterminated', False),
    ],
)
def test_needs_groups(expression: str, expected: bool) -> None:
    assert needs_groups(expression) is expected


REFERENCES: list[tuple[str, frozenset[str]]] = [
    ('user.firstName + " " + user.lastName', frozenset({"firstName", "lastName"})),
    ("appuser.lastName", frozenset()),
    ("appUser.lastName", frozenset()),
    ("source.firstName + user.email", frozenset({"firstName", "email"})),
    ("user.displayName", frozenset({"displayName", "firstName", "lastName"})),
    ('user.firstName + appuser.x + zendesk.y + "z"', frozenset({"firstName"})),
    ("String.toLowerCase(String.substringBefore(user.email, '@'))", frozenset({"email"})),
    ("user.groups[0]", frozenset({"groups"})),
    (
        'user.employeeNumber != "" ? user.employeeNumber : user.nickName ?: user.title',
        frozenset({"employeeNumber", "nickName", "title"}),
    ),
    ('Arrays.contains(user.groups, "a")', frozenset({"groups"})),
    ('user.getInternalProperty("id")', frozenset()),
    ('isMemberOfGroupName("x") ? user.title : ""', frozenset({"title"})),
    ('"literal"', frozenset()),
]


@pytest.mark.parametrize(("expression", "expected"), REFERENCES, ids=[e for e, _ in REFERENCES])
def test_referenced_attributes(expression: str, expected: frozenset[str]) -> None:
    assert referenced_attributes(expression) == expected


@pytest.mark.parametrize(
    "expression", ["user.", '"open', "", "user.firstName +", "a >= 1 == true", "'it\\'s'"]
)
def test_referenced_attributes_rejects_unparseable(expression: str) -> None:
    with pytest.raises(CannotEvaluate, match=r"^cannot evaluate locally: "):
        referenced_attributes(expression)
