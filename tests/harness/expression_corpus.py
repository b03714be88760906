"""Expressions from Okta's published documentation: the data each example implies, the output
the page prints, and what the local evaluator must do with it (a value, or a refusal whose
reason contains a given fragment). tests/test_expression_corpus.py runs them.

Where a page gives no sample data, the data here is the least the example needs and the case
says so in `note`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from checks.model import Group

REF = "https://developer.okta.com/docs/reference/okta-expression-language/"
SPEL_LITERALS = (
    "https://docs.spring.io/spring-framework/reference/core/expressions/language-ref/"
    "literal.html (Literal Expressions)"
)
HELP_MAPPINGS = (
    "https://help.okta.com/en-us/content/topics/users-groups-profiles/"
    "usgp-attribute-mappings-expressions.htm (Modify attributes with expressions, step 6)"
)
DISPLAY_NAME = (
    "https://support.okta.com/help/s/article/okta-display-name-and-group-rules "
    "(Okta Display Name and Group Rules)"
)
FLATTEN_NULLS = (
    "https://support.okta.com/help/s/article/"
    "merged-attributes-using-arrays-flatten-do-not-update-after-okta-active-directory-import"
)
AD_LOCALE = (
    "https://support.okta.com/help/s/article/unable-to-search-users-based-on-user-locale-attrib-"
    "being-null (Unable to Search AD Sourced Users Based on user.locale Value Equals 'null')"
)
SMART_CARD = (
    "https://help.okta.com/en-us/Content/Topics/Security/idp-smart-card-exp-examples.htm "
    "(Smart card IdP expressions)"
)


@dataclass(frozen=True, slots=True)
class Refuse:
    because: str
    """A fragment the refusal's reason must contain."""


@dataclass(frozen=True, slots=True)
class DocCase:
    expression: str
    documented: str
    """The output as the page prints it, or what the page says the expression gives."""
    expected: object
    """What evaluate() must return (type included), or Refuse(...)."""
    source: str
    user: Mapping[str, object] = field(default_factory=dict)
    appuser: Mapping[str, object] | None = None
    groups: tuple[Group, ...] | None = None
    note: str = ""
    sourced_by: tuple[str, ...] | None = ()
    """Names of the user's profile-source apps (Okta's defaults follow them; None: unknown)."""


WINSTON: Mapping[str, object] = {
    "firstName": "Winston",
    "lastName": "Churchill",
    "email": "winston.churchill@gmail.com",
    "login": "winston.churchill@gmail.com",
}
"""The "Popular expressions" sample user."""

ARRAY_USER: Mapping[str, object] = {"arrayAttribute": [10, 20, 30]}
"""The Array functions table shows user.arrayAttribute as {10, 20, 30}."""

GET_GROUPS = (
    Group("00gak46y5hydV6NdM0g4", "Everyone"),
    Group("00g1emaKYZTWRYYRRTSK", "West Coast Users"),
    Group("00garwpuyxHaWOkdV0g4", "West Coast Admins"),
    Group("00gjitX9HqABSoqTB0g3", "Engineering Users"),
    Group("00gnftmgQxC2L19j6I9c", "Engineering Users"),
)
"""The groups table of "Get groups for users" (types and source ids are not in Group)."""

POPULAR = f"{REF}#popular-expressions"
STRINGS = f"{REF}#string-functions"
ARRAYS = f"{REF}#array-functions"
GROUP_FUNCTIONS = f"{REF}#group-functions"
GET_GROUPS_SECTION = f"{REF}#get-groups-for-users"
CONSTANTS = f"{REF}#constants-and-operators"
GROUP_RULE_SAMPLES = f"{REF}#group-rules-samples"
NO_WORKDAY = "Workday assignments"
NO_DIRECTORY = "Active Directory assignments"


def _popular() -> list[DocCase]:
    def case(expression: str, documented: str, expected: object, note: str = "") -> DocCase:
        return DocCase(expression, documented, expected, POPULAR, WINSTON, note=note)

    return [
        case("user.firstName", "Winston", "Winston"),
        case("user.firstName + user.lastName", "WinstonChurchill", "WinstonChurchill"),
        case('user.firstName + "." + user.lastName', "Winston.Churchill", "Winston.Churchill"),
        case("substring(user.firstName, 0, 1) + user.lastName", "WChurchill", "WChurchill"),
        case(
            "substring(user.firstName, 0, 1) + substring(user.lastName, 0, 6)",
            "WChurch",
            "WChurch",
        ),
        case(
            'toLowerCase(substring( user.firstName, 0, 1)) + "." + toLowerCase(user.lastName)',
            "w.churchhill",
            "w.churchill",
            note="erratum: the page prints 'churchhill' for its own sample lastName Churchill; "
            "toLowerCase cannot add a letter",
        ),
        case(
            'toUpperCase(substringBefore( substringAfter(user.email, "@"), ".")) + "\\" + '
            'substringBefore( user.email, "@")',
            "GMAIL\\winston.churchill",
            "GMAIL\\winston.churchill",
            note='"\\" is a one-backslash literal: SpEL literals have no escapes',
        ),
        case(
            'toUpperCase(substringBefore( substringAfter(user.email, "@"), ".")) + "\\" + '
            "toLowerCase(substring( user.firstName, 0, 1)) + toLowerCase(user.lastName)",
            "GMAIL\\wchurchill",
            "GMAIL\\wchurchill",
        ),
        case(
            '"XDOMAIN\\" + toLowerCase(substring( user.firstName, 0, 1)) + '
            "toLowerCase(user.lastName)",
            "XDOMAIN\\wchurchill",
            "XDOMAIN\\wchurchill",
        ),
        case(
            "hasWorkdayUser() ? findWorkdayUser().employeeID : null",
            "123456",
            Refuse(NO_WORKDAY),
        ),
        case(
            "hasDirectoryUser() ? findDirectoryUser().managerUpn : null",
            "bob@okta.com",
            Refuse(NO_DIRECTORY),
        ),
    ]


def _strings() -> list[DocCase]:
    def case(expression: str, documented: str, expected: object) -> DocCase:
        return DocCase(expression, documented, expected, STRINGS)

    return [
        case('String.append("This is", " a test")', "This is a test", "This is a test"),
        case('String.join(",", "This", "is", "a", "test")', "This,is,a,test", "This,is,a,test"),
        case('String.join("", "This", "is", "a", "test")', "Thisisatest", "Thisisatest"),
        case('String.len("This")', "4", 4),
        case('String.removeSpaces("This is a test")', "Thisisatest", "Thisisatest"),
        case('String.replace("This is a test", "is", "at")', "That at a test", "That at a test"),
        case(
            'String.replaceFirst("This is a test", "is", "at")', "That is a test", "That is a test"
        ),
        case('String.startsWith("Kiss", "K")', "true", True),
        case('String.stringContains("This is a test", "test")', "true", True),
        case('String.stringContains("This is a test", "doesn\'tExist")', "false", False),
        case(
            'String.stringSwitch("This is a test", "default", "key1", "value1")',
            "default",
            "default",
        ),
        case(
            'String.stringSwitch("This is a test", "default", "test", "value1")',
            "value1",
            "value1",
        ),
        case(
            'String.stringSwitch("First match wins", "default", "absent", "value1", "wins", '
            '"value2", "match", "value3")',
            "value2",
            "value2",
        ),
        case(
            'String.stringSwitch("Substrings count", "default", "ring", "value1")',
            "value1",
            "value1",
        ),
        case('String.substring("This is a test", 2, 9)', "is is a", "is is a"),
        case('String.substringAfter("abc@okta.com", "@")', "okta.com", "okta.com"),
        case('String.substringBefore("abc@okta.com", "@")', "abc", "abc"),
        case('String.toUpperCase("This")', "THIS", "THIS"),
        case('String.toLowerCase("ThiS")', "this", "this"),
    ]


def _deprecated_strings() -> list[DocCase]:
    section = f"{REF}#string-functions (deprecated functions table)"
    return [
        DocCase(
            "toUpperCase(source.firstName)",
            "ALEXANDER",
            "ALEXANDER",
            section,
            {"firstName": "Alexander"},
        ),
        DocCase(
            "toLowerCase(source.firstName)",
            "alexander",
            "alexander",
            section,
            {"firstName": "AlexANDER"},
        ),
        DocCase(
            "substringBefore(user.email, '@')", "alex", "alex", section, {"email": "alex@okta.com"}
        ),
        DocCase(
            "substringAfter(user.email, '@')",
            "okta.com",
            "okta.com",
            section,
            {"email": "alex@okta.com"},
        ),
        DocCase(
            "substring(source.firstName, 1, 4)", "lex", "lex", section, {"firstName": "Alexander"}
        ),
    ]


def _arrays() -> list[DocCase]:
    def case(expression: str, documented: str, expected: object, note: str = "") -> DocCase:
        return DocCase(expression, documented, expected, ARRAYS, ARRAY_USER, note=note)

    return [
        case("Arrays.add(user.arrayAttribute, 40)", "{10, 20, 30, 40}", [10, 20, 30, 40]),
        case("Arrays.remove(user.arrayAttribute, 20)", "{10, 30}", [10, 30]),
        case("Arrays.clear(user.arrayAttribute)", "{ }", []),
        case("Arrays.get({0, 1, 2}, 0)", "0", 0),
        case("Arrays.flatten(10, {20, 30}, 40)", "{10, 20, 30, 40}", [10, 20, 30, 40]),
        case(
            "Arrays.flatten('10, 20, 30, 40')",
            "{10, 20, 30, 40}",
            Refuse("comma-separated text"),
            note="the page does not say how text is split, trimmed or typed",
        ),
        case("Arrays.contains({10, 20, 30}, 10)", "true", True),
        case("Arrays.contains({10, 20, 30}, 50)", "false", False),
        case("Arrays.size({10, 20, 30})", "3", 3),
        case("Arrays.size(NULL)", "0", 0),
        case("Arrays.isEmpty({10, 20})", "false", False),
        case("Arrays.isEmpty(NULL)", "true", True),
        case(
            'Arrays.toCsvString({"This", "is", " a ", "test"})',
            "This,is, a ,test",
            "This,is, a ,test",
        ),
    ]


def _conversions() -> list[DocCase]:
    section = f"{REF}#data-conversion-functions"
    country = f"{REF}#country-code-conversion-functions"
    bound = "the page binds val; the literal is inlined"
    return [
        DocCase("Convert.toInt('1234')", "1234", 1234, section, note=bound),
        DocCase("Convert.toInt(123.4)", "123", 123, section, note=bound),
        DocCase("Convert.toInt(123.6)", "124", 124, section, note=bound),
        DocCase("Convert.toNum('3.141')", "3.141", 3.141, section, note=bound),
        DocCase('Iso3166Convert.toAlpha2("IND")', "IN", Refuse("ISO 3166"), country),
        DocCase('Iso3166Convert.toAlpha3("840")', "USA", Refuse("ISO 3166"), country),
        DocCase('Iso3166Convert.toNumeric("USA")', "840", Refuse("ISO 3166"), country),
        DocCase('Iso3166Convert.toName("IN")', "India", Refuse("ISO 3166"), country),
    ]


def _group_functions() -> list[DocCase]:
    implied = "the page gives no output; a member of the named group gets true"

    def case(expression: str, groups: tuple[Group, ...], expected: object) -> DocCase:
        return DocCase(
            expression, "Boolean", expected, GROUP_FUNCTIONS, groups=groups, note=implied
        )

    return [
        DocCase(
            'getFilteredGroups({"00gml2xHE3RYRx7cM0g3"}, "group.name", 40)',
            "Array (the user's allowlisted groups as group.name)",
            ["Sales"],
            GROUP_FUNCTIONS,
            groups=(Group("00gml2xHE3RYRx7cM0g3", "Sales"), Group("00gother000000000001", "IT")),
            note="the group's name is not given on the page",
        ),
        case('isMemberOfGroupName("group1")', (Group("00g1", "group1"),), True),
        case('isMemberOfGroup("groupId")', (Group("groupId", "Any"),), True),
        case(
            'isMemberOfAnyGroup("groupId1", "groupId2", "groupId3")',
            (Group("groupId2", "Two"),),
            True,
        ),
        case('isMemberOfGroupNameStartsWith("San Fr")', (Group("00g1", "San Francisco"),), True),
        case('isMemberOfGroupNameContains("admin")', (Group("00g1", "Org admin team"),), True),
        DocCase(
            'isMemberOfGroupNameRegex("/.*admin.*")',
            "Boolean",
            Refuse("isMemberOfGroupNameRegex matches"),
            GROUP_FUNCTIONS,
            groups=(Group("00g1", "admins"),),
        ),
        DocCase(
            'isMemberOfGroupName("group1")',
            "Boolean",
            Refuse("needs the user's groups"),
            GROUP_FUNCTIONS,
            note="evaluated without the user's groups",
        ),
    ]


def _get_groups() -> list[DocCase]:
    def case(expression: str, documented: str, expected: object) -> DocCase:
        return DocCase(expression, documented, expected, GET_GROUPS_SECTION, groups=GET_GROUPS)

    return [
        case(
            "user.getGroups({'group.id': {'00gjitX9HqABSoqTB0g3'}}, "
            "{'group.profile.name': 'West Coast.*'})",
            "{}",
            [],
        ),
        case(
            "user.getGroups({'group.type': {'OKTA_GROUP'}}, "
            "{'group.profile.name': {'Everyone', 'West Coast Admins'}})",
            "groups with ID 00garwpuyxHaWOkdV0g4",
            Refuse("group.type"),
        ),
        case("user.getGroups({'group.profile.name': 'East Coast.*'})", "{}", []),
        case(
            "user.getGroups({'group.type': {'OKTA_GROUP', 'APP_GROUP'}})",
            "groups 00g1emaKYZTWRYYRRTSK, 00garwpuyxHaWOkdV0g4, 00gjitX9HqABSoqTB0g3, "
            "00gnftmgQxC2L19j6I9c",
            Refuse("group.type"),
        ),
        case(
            "user.getGroups({'group.source.id': '0aae4be2456eb62f7c3d'} , "
            "{'group.profile.name': {'Engineering Users'}} )",
            "groups with ID 00gjitX9HqABSoqTB0g3",
            Refuse("group.source.id"),
        ),
        case(
            'user.getGroups({"group.profile.name": "Everyone", "operator": "STARTS_WITH"}).![name]',
            "a list of the names of groups starting with Everyone",
            ["Everyone"],
        ),
    ]


def _claims_only_and_context() -> list[DocCase]:
    claims = f"{REF}#group-claims-only-functions"
    return [
        DocCase(
            "Groups.contains(app_type/app_instance_id, pattern, limit)",
            "Array",
            Refuse("cannot be used in property mappings"),
            claims,
        ),
        DocCase(
            'Groups.startsWith("OKTA", "TEST", 100) ?: {}',
            "{} when Groups.startsWith gives null",
            Refuse("cannot be used in property mappings"),
            CONSTANTS,
        ),
        DocCase(
            'user.getLinkedObject("manager").lastName',
            "Gates",
            Refuse("linked objects"),
            f"{REF}#linked-object-function",
        ),
        DocCase(
            "Time.now()",
            "the current time",
            Refuse("moment Okta evaluates"),
            f"{REF}#time-functions",
        ),
        DocCase(
            'Time.now("EST")', "the current time in EST", Refuse("moment"), f"{REF}#time-functions"
        ),
        DocCase(
            'Time.now("EST", "YYYY-MM-dd HH:mm:ss")',
            "2015-07-31 13:36:48",
            Refuse("moment"),
            f"{REF}#time-functions",
        ),
        *[
            DocCase(
                expression,
                "the manager's or assistant's attribute",
                Refuse("which attrsync does not fetch"),
                f"{REF}#manager-assistant-functions",
            )
            for expression in (
                'getManagerUser("active_directory").firstName',
                'getManagerAppUser("active_directory", "google").firstName',
                'getAssistantUser("active_directory").firstName',
                'getAssistantAppUser("active_directory", "google").firstName',
            )
        ],
        *[
            DocCase(
                expression,
                "the assignment or its app user",
                Refuse(what),
                f"{REF}#directory-and-workday-functions",
            )
            for expression, what in (
                ("hasDirectoryUser()", NO_DIRECTORY),
                ("findDirectoryUser()", NO_DIRECTORY),
                ("hasWorkdayUser()", NO_WORKDAY),
                ("findWorkdayUser()", NO_WORKDAY),
            )
        ],
    ]


def _constants() -> list[DocCase]:
    sample = {"firstName": "Winston", "lastName": "Churchill"}
    return [
        DocCase("'Hello world'", "Hello world", "Hello world", CONSTANTS),
        DocCase("1234", "1234", 1234, CONSTANTS),
        DocCase("3.141", "3.141", 3.141, CONSTANTS),
        DocCase("true", "true", True, CONSTANTS),
        DocCase("{1, 2, 3}[0]", "1", 1, CONSTANTS),
        DocCase(
            "user.arrayProperty[0]",
            "the first element",
            "a",
            CONSTANTS,
            {"arrayProperty": ["a", "b"]},
            note="sample array invented",
        ),
        DocCase(
            "user.firstName + user.lastName", "concatenated", "WinstonChurchill", CONSTANTS, sample
        ),
        DocCase(
            'user.firstName + " " + user.lastName',
            "concatenated with a space",
            "Winston Churchill",
            CONSTANTS,
            sample,
        ),
        DocCase(
            "user.groupCode == 123 ? 'Sales' : 'Other'",
            "Sales when the group code is 123",
            "Sales",
            CONSTANTS,
            {"groupCode": 123},
        ),
        DocCase(
            "user.groupCode == 123 ? 'Sales' : 'Other'",
            "Other otherwise",
            "Other",
            CONSTANTS,
            {"groupCode": 7},
        ),
    ]


def _conditionals() -> list[DocCase]:
    samples = f"{REF}#profile-mapping-samples"
    nulls = f"{REF}#check-for-null-and-blank-attributes"
    person = {"firstName": "Ada", "lastName": "Lovelace", "middleInitial": "B"}
    return [
        DocCase(
            'firstName + " " + (String.len(middleInitial) == 0 ? "" : '
            '(String.substring(middleInitial, 0, 1) + ". ")) + lastName',
            "the full name with a middle initial",
            Refuse("bare name"),
            samples,
            person,
            note="bare attribute names: the page does not say what they resolve against",
        ),
        DocCase(
            '(courtesyTitle != "" ? (courtesyTitle + " ") : honorificPrefix != "" ? '
            '(honorificPrefix + " ") : "") + firstName + " " + (String.len(middleInitial) == 0 ? '
            '"" : (String.substring(middleInitial, 0, 1) + ". ")) + lastName',
            "the full name with a title",
            Refuse("bare name"),
            samples,
            person,
        ),
        DocCase(
            'user.employeeNumber != "" AND user.employeeNumber != null ? user.employeeNumber : '
            "user.nonEmployeeNumber",
            "employeeNumber when set",
            "E100",
            nulls,
            {"employeeNumber": "E100", "nonEmployeeNumber": "N7"},
        ),
        DocCase(
            'user.employeeNumber != "" AND user.employeeNumber != null ? user.employeeNumber : '
            "user.nonEmployeeNumber",
            "nonEmployeeNumber when employeeNumber is blank",
            "N7",
            nulls,
            {"employeeNumber": "", "nonEmployeeNumber": "N7"},
        ),
        DocCase("user.employeeNumber == null", "true: never populated", True, nulls, {}),
        DocCase('user.employeeNumber == ""', "true: emptied", True, nulls, {"employeeNumber": ""}),
    ]


def _group_rules() -> list[DocCase]:
    implied = "the page gives the group assigned when true; the profile makes it true"

    def case(expression: str, user: Mapping[str, object], documented: str) -> DocCase:
        return DocCase(expression, documented, True, GROUP_RULE_SAMPLES, user, note=implied)

    rules = f"{REF}#expressions-in-group-rules"
    return [
        case('String.stringContains(user.department, "Sales")', {"department": "Sales"}, "Sales"),
        case('user.city == "San Francisco"', {"city": "San Francisco"}, "sfo"),
        case("user.salary >= 1000000", {"salary": 1000000}, "expensiveEmployee"),
        case("!user.isContractor", {"isContractor": False}, "fullTimeEmployees"),
        case(
            "user.salary > 1000000 AND !user.isContractor",
            {"salary": 2000000, "isContractor": False},
            "expensiveFullTimeEmployees",
        ),
        case(
            'user.department matches "California-[a-zA-Z]+-Sales"',
            {"department": "California-Bay-Sales"},
            "californiaSalesTeams",
        ),
        case(
            'user.primaryPhone matches "(\\+\\d{1,2}\\s)?\\(?\\d{3}\\)?[\\s.-]\\d{3}[\\s.-]\\d{4}"',
            {"primaryPhone": "+1 415-555-0100"},
            "allValidPhoneNumberTypes",
        ),
        case("user.title matches '(?i)engineer'", {"title": "Engineer"}, "allEngineers"),
        DocCase("user.hasBadge", "allowed", True, rules, {"hasBadge": True}),
        DocCase(
            'String.stringContains(user.email, "@example.com")',
            "allowed",
            True,
            rules,
            {"email": "jo@example.com"},
        ),
        DocCase(
            'Arrays.contains(user.favoriteColors, "blue")',
            "allowed",
            True,
            rules,
            {"favoriteColors": ["red", "blue"]},
        ),
    ]


def _references() -> list[DocCase]:
    users = f"{REF}#reference-user-attributes"
    apps = f"{REF}#reference-app-and-organization-properties"
    status = f"{REF}#okta-user-id-and-status"
    oauth = f"{REF}#expressions-for-oauth-2-0-oidc-custom-claims"
    app_user = {"firstName": "Ada"}
    return [
        DocCase("user.login", "the login", "ada@example.com", users, {"login": "ada@example.com"}),
        DocCase("appuser.firstName", "the app user's firstName", "Ada", users, appuser=app_user),
        DocCase("zendesk.firstName", "zendesk's firstName", Refuse("app 'zendesk'"), users),
        DocCase(
            "active_directory.managerUpn",
            "AD's managerUpn",
            Refuse("app 'active_directory'"),
            users,
        ),
        DocCase("google_apps.email", "google's email", Refuse("app 'google_apps'"), users),
        DocCase("idpuser.firstName", "the IdP user's firstName", Refuse("IdP user profile"), users),
        DocCase("office365_app.domain", "the app's domain", Refuse("settings of app"), apps),
        DocCase("zendesk_app.companySubDomain", "the app's subdomain", Refuse("settings"), apps),
        DocCase("app.domain", "the app's domain", Refuse("app instance's settings"), apps),
        DocCase("org.name", "the org's name", Refuse("org's settings"), apps),
        DocCase("org.subDomain", "the org's subdomain", Refuse("org's settings"), apps),
        DocCase(
            "session.amr", '["pwd"]', Refuse("signs in"), f"{REF}#reference-session-properties"
        ),
        DocCase('user.getInternalProperty("id")', "the user's id", Refuse("id or status"), status),
        DocCase(
            'user.getInternalProperty("status")',
            "the user's status",
            Refuse("id or status"),
            status,
        ),
        DocCase(
            'user.getInternalProperty("status") == "ACTIVE"',
            "true for active users",
            Refuse("id or status"),
            status,
        ),
        DocCase("app.profile.label", "the app's label", Refuse("app instance's settings"), oauth),
        DocCase(
            'String.replace(Arrays.toCsvString(access.scope),","," ")',
            "the granted scopes, space-delimited",
            Refuse("token claims"),
            oauth,
        ),
    ]


def _other_pages() -> list[DocCase]:
    release_2016 = "https://developer.okta.com/docs/release-notes/2016/"
    github = (
        "https://developer.okta.com/docs/guides/social-login/github/main/ "
        "(Handle users without email addresses)"
    )
    jane = {"firstName": "Jane", "lastName": "Doe"}
    flattened = {"dept1": ["D1", "D2"], "dept2": None}
    return [
        DocCase(
            'String.replaceFirst("This list includes chores", "is", "at")',
            "That list includes chores",
            "That list includes chores",
            f"{release_2016} (2016.43, New Function for Replacing Strings)",
        ),
        DocCase(
            'String.replace("This list includes chores", "is", "at")',
            "That last includes chores",
            "That latt includes chores",
            f"{release_2016} (2016.41, New Function for Replacing Strings)",
            note="erratum: 'list' holds 'is' too, so replacing every 'is' gives 'latt'; the "
            "reference's own String.replace example replaces every occurrence",
        ),
        DocCase("user.displayName", "firstName + ' ' + lastName", "Jane Doe", DISPLAY_NAME, jane),
        DocCase(
            'user.displayName == null or user.displayName == ""',
            "false while displayName was never edited",
            False,
            DISPLAY_NAME,
            jane,
        ),
        DocCase(
            'user.displayName == null or user.displayName == ""',
            'true once edited and cleared (the API then returns "")',
            True,
            DISPLAY_NAME,
            {**jane, "displayName": ""},
        ),
        DocCase(
            "source.firstName",
            "the Okta user's firstName",
            "Ada",
            HELP_MAPPINGS,
            {"firstName": "Ada"},
        ),
        DocCase(
            "user.firstName",
            "the Okta user's firstName",
            "Ada",
            HELP_MAPPINGS,
            {"firstName": "Ada"},
        ),
        DocCase(
            "appUser.firstName",
            "the app user's firstName",
            "Ada",
            HELP_MAPPINGS,
            appuser={"firstName": "Ada"},
        ),
        DocCase(
            "Arrays.flatten(appuser.dept1, appuser.dept2)",
            "the expression fails to evaluate",
            Refuse("Okta fails to evaluate Arrays.flatten"),
            FLATTEN_NULLS,
            appuser=flattened,
        ),
        DocCase(
            "Arrays.flatten(appuser.dept1 != null ? appuser.dept1 : {}, "
            "appuser.dept2 != null ? appuser.dept2 : {})",
            "the non-null values merged",
            ["D1", "D2"],
            FLATTEN_NULLS,
            appuser=flattened,
        ),
        DocCase(
            "appuser.email == null ? appuser.externalId + '@github.example.com' : appuser.email",
            "an example.com address for a user without email",
            "12345@github.example.com",
            github,
            appuser={"email": None, "externalId": "12345"},
        ),
        *[
            DocCase(expression, "an IdP username", Refuse("IdP user profile"), SMART_CARD)
            for expression in (
                'String.substringBefore(idpuser.subjectAltNameEmail, "@")',
                "String.substring(idpuser.subjectCn, String.len(idpuser.subjectCn)-20, "
                "String.len(idpuser.subjectCn))",
                'String.toLowerCase(String.substringBefore(idpuser.subjectAltNameUpn, "@"))',
            )
        ],
        DocCase("'Tony''s Pizza'", "Tony's Pizza", "Tony's Pizza", SPEL_LITERALS),
        DocCase("6.0221415E+23", "6.0221415E23", 6.0221415e23, SPEL_LITERALS),
    ]


def _source_defaults() -> list[DocCase]:
    ad = ("active_directory",)
    empty = 'user.locale == null or user.locale == "" ? "none" : user.locale'
    return [
        DocCase(
            "user.locale",
            "en_US although the API shows null",
            "en_US",
            AD_LOCALE,
            {"locale": None},
            sourced_by=ad,
        ),
        DocCase(
            "user.locale", "en_US when nothing was imported", "en_US", AD_LOCALE, sourced_by=ad
        ),
        DocCase(
            empty, "the null check is not true", "en_US", AD_LOCALE, {"locale": None}, sourced_by=ad
        ),
        DocCase(
            "user.locale",
            "an imported locale stays",
            "fr_FR",
            AD_LOCALE,
            {"locale": "fr_FR"},
            sourced_by=ad,
        ),
        DocCase("user.locale", "no default without AD", None, AD_LOCALE, {"locale": None}),
        DocCase(empty, "no default from Workday", "none", AD_LOCALE, sourced_by=("workday",)),
        DocCase(
            "user.locale",
            "unknown sources: not guessed",
            Refuse("depends on the user's profile source"),
            AD_LOCALE,
            sourced_by=None,
        ),
        DocCase(
            "user.locale",
            "AD behind another source: not guessed",
            Refuse("depends on the user's profile source"),
            AD_LOCALE,
            sourced_by=("workday", "active_directory"),
        ),
    ]


CORPUS: tuple[DocCase, ...] = (
    *_popular(),
    *_strings(),
    *_deprecated_strings(),
    *_arrays(),
    *_conversions(),
    *_group_functions(),
    *_get_groups(),
    *_claims_only_and_context(),
    *_constants(),
    *_conditionals(),
    *_group_rules(),
    *_references(),
    *_other_pages(),
    *_source_defaults(),
)
