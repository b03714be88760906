"""What a helpdesk message is about, guessed from its words (pure): which of the author's apps
shows the wrong value, and which attribute it is. A person confirms the guess before anything
runs, and clicks Diagnose on what is pre-filled: so a guess is made only when the message
leaves no doubt, and every doubt becomes a question instead."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from checks.common import might_provision
from checks.model import App


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


ATTRIBUTE_WORDS: Final[Mapping[str, str | None]] = {
    # Okta's standard user profile (UserProfile in the management API).
    "last name": "lastName",
    "lastname": "lastName",
    "surname": "lastName",
    "family name": "lastName",
    "maiden name": "lastName",
    "first name": "firstName",
    "firstname": "firstName",
    "given name": "firstName",
    "forename": "firstName",
    "middle name": "middleName",
    "nickname": "nickName",
    "nick name": "nickName",
    "preferred name": "nickName",
    "display name": "displayName",
    "job title": "title",
    "title": "title",
    "department": "department",
    "dept": "department",
    "division": "division",
    "manager": "manager",
    "line manager": "manager",
    "email": "email",
    "e-mail": "email",
    "email address": "email",
    "secondary email": "secondEmail",
    "personal email": "secondEmail",
    "recovery email": "secondEmail",
    "mobile number": "mobilePhone",
    "mobile phone": "mobilePhone",
    "my mobile": "mobilePhone",
    "cell": "mobilePhone",
    "cell phone": "mobilePhone",
    "cellphone": "mobilePhone",
    "cell number": "mobilePhone",
    "desk phone": "primaryPhone",
    "work phone": "primaryPhone",
    "office phone": "primaryPhone",
    "work number": "primaryPhone",
    "office number": "primaryPhone",
    "landline": "primaryPhone",
    "employee id": "employeeNumber",
    "employee number": "employeeNumber",
    "employee no": "employeeNumber",
    "staff id": "employeeNumber",
    "cost center": "costCenter",
    "cost centre": "costCenter",
    "costcenter": "costCenter",
    "city": "city",
    "street address": "streetAddress",
    "postal address": "postalAddress",
    "mailing address": "postalAddress",
    "zip": "zipCode",
    "zip code": "zipCode",
    "zipcode": "zipCode",
    "postal code": "zipCode",
    "postcode": "zipCode",
    "country": "countryCode",
    "time zone": "timezone",
    "timezone": "timezone",
    "preferred language": "preferredLanguage",
    "locale": "locale",
    "employee type": "userType",
    "user type": "userType",
    "company name": "organization",
    # Words that look like an attribute but are not one (None): Okta has no "location" or
    # "phone" attribute, it has city, streetAddress, mobilePhone, primaryPhone…, and an app's
    # own officeLocation is none of them; comparing every mapped attribute is right instead.
    # They also keep "office" in "office location" from being read as Office 365.
    "phone": None,
    "phone number": None,
    "location": None,
    "office location": None,
    "office address": None,
    "address": None,
    "an email": None,
    "emails": None,
    "email from": None,
    "email notification": None,
    "by email": None,
    "via email": None,
    "mobile app": None,
    "manager asked": None,
    "manager says": None,
    "manager said": None,
    "manager wants": None,
    "manager noticed": None,
    "manager told": None,
}
"""Everyday words and the Okta attribute they name; None where the words name no single one.
Never an app's name: "office" alone is Office 365, not the city."""

APP_NICKNAMES: Final[Mapping[str, tuple[str, ...]]] = {
    "office365": (
        "o365",
        "office 365",
        "office365",
        "microsoft 365",
        "m365",
        "ms365",
        "ms 365",
        "outlook",
        "teams",
        "ms teams",
        "microsoft teams",
        "sharepoint",
        "onedrive",
        "exchange online",
    ),
    "google": (
        "google",
        "gsuite",
        "g suite",
        "g-suite",
        "google workspace",
        "google apps",
        "gmail",
        "gdrive",
        "google drive",
        "google calendar",
        "gcal",
    ),
    "salesforce": ("salesforce", "sales force", "sfdc"),
    "boxnet": ("box", "box.com"),
    "slack": ("slack",),
    "zoomus": ("zoom",),
    "zendesk": ("zendesk",),
    "github": ("github", "git hub"),
    "workday": ("workday",),
    "active_directory": ("active directory", "ad"),
}
"""What people call common apps, by the app's Okta `name` (okta-api.md, the demo org)."""

WEAK_NICKNAMES: Final[Mapping[str, tuple[str, ...]]] = {
    "office365": ("office", "microsoft", "exchange"),
}
"""Names that are also everyday words ("my office", "stock exchange"): they name the app only
right after a preposition ("wrong in office"); else the app is offered first, never guessed."""

GENERIC_WORDS: Final = frozenset(
    {
        *_set("a an the my our your his her their this that of for to in on and or with"),
        *_set("app apps application applications example sample test testing demo"),
        *_set("flow flows approval approvals workflow request requests"),
        *_set("okta dashboard portal home login sso sign signin profile account accounts"),
        *_set("user users directory system systems tool tools service services"),
        *_set("admin console help helpdesk desk support it team people access"),
        *_set("internal intranet company corp prod production dev staging sandbox"),
        *_set("old new legacy mail chat docs drive calendar office web site online"),
        *_set("cloud server data hr plugin browser bookmark template basic auth"),
        *_set("oidc client saml swa api sync provisioning"),
    }
)
"""Words every helpdesk message may hold: an app whose label or name is made of nothing else
("My App", "example", "Approval Flow", "Okta Dashboard") is never recognised by it."""

PROFILE_SOURCE: Final = "PROFILE_MASTERING"
"""The feature of a profile-source app (Workday, Active Directory): values come from it."""

_NEGATIVE: Final = _set(
    """still old wrong not no isn't isnt doesn't doesnt didn't didnt hasn't hasnt haven't
    havent won't wont can't cant never stale outdated incorrect missing broken previous former
    reverting reverted reverts keeps misspelled stuck failed fails failing error yet"""
)
"""Words of a complaint: an app in the same clause shows the wrong value."""
_POSITIVE: Final = _set("right correct fine ok okay good updated new current accurate")
"""Words of a value that is right: an app in such a clause (and no complaint) is the source."""
_SYMPTOM_BEFORE: Final = _set("in on into to for at")
_SOURCE_BEFORE: Final = _set("from via per through")
_VALUE_BEFORE: Final = _set("is was as be")
"""Before an attribute's word, a value: "my title is Manager" names no manager."""
_SKIPPED_BEFORE: Final = _set("the my our his her their a an")
_CONVERSATION: Final = _set("channel channels thread threads dm dms huddle")
"""After an app's name ("this slack channel"), the place people talk, not the app's record."""
_CLAUSE_WORDS: Final = _set("but while whereas although though however except")
_BOUNDARY: Final = "|"
_FUZZY_MIN: Final = 5
"""Shorter words are matched exactly only: one typo away from "zoom" is "room"."""

_MARKUP: Final = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")
_EMOJI: Final = re.compile(r":[a-z0-9_+'\-]+:")
_URL: Final = re.compile(r"https?://\S+|\S+@\S+")
_TOKEN: Final = re.compile(r"\w+(?:['.\-]\w+)*|->|[.,;:!?()\[\]]|\s[-\u2013\u2014]\s")


@dataclass(frozen=True, slots=True)
class AppGuess:
    """The app to pre-fill (None: ask), and the apps the message points at, to offer first."""

    app: App | None
    first: tuple[App, ...] = ()


Role = Literal["symptom", "neutral", "source"]


@dataclass(frozen=True, slots=True)
class _Meaning:
    attribute: str | None = None
    app_id: str | None = None
    weak: bool = False


@dataclass(frozen=True, slots=True)
class _Match:
    start: int
    end: int
    meanings: frozenset[_Meaning]


@dataclass(frozen=True, slots=True)
class _Mention:
    app_id: str
    role: Role
    weak: bool


def candidates(apps: Iterable[App]) -> list[App]:
    """The apps a complaint can be about: active, pushed to by Okta, and no profile source
    (a value comes from Workday; it is not pushed to it), by label."""
    kept = {
        app.id: app
        for app in apps
        if app.status == "ACTIVE" and might_provision(app) and PROFILE_SOURCE not in app.features
    }
    return sorted(kept.values(), key=lambda a: (a.label.casefold(), a.id))


def guess_attribute(text: str, apps: Iterable[App] = ()) -> str | None:
    """The one Okta attribute the message names, or None when it names none or several
    (the apps' names are read too, so that "gmail" is not a typo of "email")."""
    tokens = _tokens(text)
    named = {
        m.attribute
        for match in _scan(tokens, _lexicon(apps))
        if match.start == 0 or tokens[match.start - 1] not in _VALUE_BEFORE
        for m in match.meanings
        if m.attribute is not None
    }
    return named.pop() if len(named) == 1 else None


def guess_app(text: str, choices: Sequence[App], others: Sequence[App] = ()) -> AppGuess:
    """The one app among `choices` (the author's candidates) that the message says shows the
    wrong value. `others` are the org's other apps: named, they are recognised (so that
    "Salesforce Sandbox" is not read as Salesforce), and one Okta pushes to competes with
    the choices, because the person may mean an app they are not assigned."""
    chosen = {app.id: app for app in choices}
    rivals = {
        app.id
        for app in others
        if app.id not in chosen and might_provision(app) and PROFILE_SOURCE not in app.features
    }
    known = [*choices, *(app for app in others if app.id not in chosen)]
    roles, weak = _roles(_mentions(_tokens(text), _read(text, known), set(chosen)))
    contenders = [
        i for i, role in roles.items() if role != "source" and (i in chosen or i in rivals)
    ]
    sources = [i for i, role in roles.items() if role == "source" and i in chosen]
    first = [chosen[i] for i in dict.fromkeys([*contenders, *sources, *weak]) if i in chosen]
    if len(contenders) == 1 and contenders[0] in chosen:
        return AppGuess(chosen[contenders[0]], tuple(first))
    return AppGuess(None, tuple(first))


def menu(guess: AppGuess, choices: Sequence[App], limit: int) -> list[App]:
    """The choices in menu order: what the message points at first, then the rest."""
    ordered = {app.id: app for app in (*guess.first, *choices)}
    return list(ordered.values())[:limit]


def _roles(mentions: Iterable[_Mention]) -> tuple[dict[str, Role], list[str]]:
    """Each named app's role (a complaint in one mention outweighs the rest), in order of
    mention; and the apps named only by an everyday word."""
    rank: dict[Role, int] = {"source": 0, "neutral": 1, "symptom": 2}
    roles: dict[str, Role] = {}
    weak: list[str] = []
    for mention in mentions:
        if mention.weak:
            weak.append(mention.app_id)
            continue
        held = roles.get(mention.app_id)
        if held is None or rank[mention.role] > rank[held]:
            roles[mention.app_id] = mention.role
    return roles, [i for i in weak if i not in roles]


def _mentions(tokens: Sequence[str], matches: Iterable[_Match], chosen: set[str]) -> list[_Mention]:
    """The apps each phrase names, with its role. Words that name several instances of one
    app ("sfdc": Salesforce and Salesforce Sandbox) name the author's, when they have one."""
    found: list[_Mention] = []
    for match in matches:
        after = tokens[match.end] if match.end < len(tokens) else ""
        if after in _CONVERSATION:
            continue
        before = tokens[match.start - 1] if match.start > 0 else ""
        role = _role(tokens, match)
        named = {m.app_id for m in match.meanings if m.app_id}
        own = named & chosen
        for meaning in match.meanings:
            if meaning.app_id and (not own or meaning.app_id in own):
                weak = meaning.weak and before not in _SYMPTOM_BEFORE
                found.append(_Mention(meaning.app_id, role, weak))
    return found


def _role(tokens: Sequence[str], match: _Match) -> Role:
    """Is the app named where the value is wrong (symptom) or where it is right (source)?
    A preposition of origin decides first ("from Workday"), then the clause's words
    ("Box still shows", "in Workday it is right"), then a preposition of place ("in Box")."""
    at = _lead(tokens, match.start)
    lead = tokens[at] if at >= 0 else ""
    according = lead == "to" and at > 0 and tokens[at - 1] == "according"
    if lead in _SOURCE_BEFORE or according:
        return "source"
    words = set(_clause(tokens, match))
    if words & _NEGATIVE:
        return "symptom"
    if words & _POSITIVE:
        return "source"
    return "symptom" if lead in _SYMPTOM_BEFORE else "neutral"


def _lead(tokens: Sequence[str], start: int) -> int:
    """Where the word before a name is, past its articles and possessives (-1: none)."""
    at = start - 1
    while at >= 0 and tokens[at] in _SKIPPED_BEFORE:
        at -= 1
    return at


def _clause(tokens: Sequence[str], match: _Match) -> Sequence[str]:
    start = match.start
    while start > 0 and tokens[start - 1] != _BOUNDARY:
        start -= 1
    end = match.end
    while end < len(tokens) and tokens[end] != _BOUNDARY:
        end += 1
    return tokens[start:end]


def _read(text: str, apps: Iterable[App]) -> list[_Match]:
    """The phrases of the attribute table and of the apps' names in the text, longest first;
    one typo is forgiven in a long word."""
    return _scan(_tokens(text), _lexicon(apps))


def _lexicon(apps: Iterable[App]) -> dict[tuple[str, ...], set[_Meaning]]:
    lexicon: dict[tuple[str, ...], set[_Meaning]] = {}
    for said, attribute in ATTRIBUTE_WORDS.items():
        lexicon.setdefault(_words(said), set()).add(_Meaning(attribute=attribute))
    for phrase in (p for names in APP_NICKNAMES.values() for p in names):
        lexicon.setdefault(_words(phrase), set()).add(_Meaning(app_id=""))  # an app, not ours
    attribute_words = {w for phrase in ATTRIBUTE_WORDS for w in _words(phrase)}
    for app in apps:
        own = [app.label, *([] if app.name.startswith("template_") else [app.name])]
        for phrase in own:
            words = _words(phrase)
            if words and not set(words) <= GENERIC_WORDS | attribute_words:
                lexicon.setdefault(words, set()).add(_Meaning(app_id=app.id))
        for phrase in APP_NICKNAMES.get(app.name, ()):
            lexicon.setdefault(_words(phrase), set()).add(_Meaning(app_id=app.id))
        for phrase in WEAK_NICKNAMES.get(app.name, ()):
            lexicon.setdefault(_words(phrase), set()).add(_Meaning(app_id=app.id, weak=True))
    return lexicon


def _scan(tokens: Sequence[str], lexicon: Mapping[tuple[str, ...], set[_Meaning]]) -> list[_Match]:
    starts: dict[str, list[tuple[str, ...]]] = {}
    for phrase in lexicon:
        starts.setdefault(phrase[0], []).append(phrase)
    near = _near(set(tokens), {word for phrase in lexicon for word in phrase})
    found: list[_Match] = []
    at = 0
    while at < len(tokens):
        best: tuple[int, int] = (0, 0)
        meanings: set[_Meaning] = set()
        for first in {tokens[at], *near.get(tokens[at], ())}:
            for phrase in starts.get(first, ()):
                typos = _typos(tokens[at : at + len(phrase)], phrase)
                if typos is None:
                    continue
                key = (len(phrase), -typos)
                if key > best:
                    best, meanings = key, set(lexicon[phrase])
                elif key == best:
                    meanings |= lexicon[phrase]
        if best[0] == 0:
            at += 1
            continue
        found.append(_Match(at, at + best[0], frozenset(meanings)))
        at += best[0]
    return found


def _near(said: Iterable[str], vocabulary: Iterable[str]) -> dict[str, set[str]]:
    """The words of the vocabulary one typo away from each word said: two words one edit
    apart share a spelling with at most one letter deleted from each."""
    index: dict[str, set[str]] = {}
    for word in vocabulary:
        if len(word) >= _FUZZY_MIN:
            for variant in _deletions(word):
                index.setdefault(variant, set()).add(word)
    near: dict[str, set[str]] = {}
    for token in said:
        if len(token) >= _FUZZY_MIN:
            close = {w for v in _deletions(token) for w in index.get(v, ()) if _one_typo(token, w)}
            if close:
                near[token] = close
    return near


def _deletions(word: str) -> set[str]:
    return {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}


def _typos(said: Sequence[str], phrase: tuple[str, ...]) -> int | None:
    """How many words of `said` are one typo away from the phrase's (None: no match)."""
    if len(said) != len(phrase):
        return None
    typos = 0
    for word, wanted in zip(said, phrase, strict=True):
        if word == wanted:
            continue
        if not _one_typo(word, wanted):
            return None
        typos += 1
    return typos


def _one_typo(word: str, wanted: str) -> bool:
    """One letter added, dropped, changed or two swapped, inside a long word; a word that
    only lengthens or shortens the other ("googled", "manage", "titles") is not a typo."""
    if min(len(word), len(wanted)) < _FUZZY_MIN or not word.isalpha():
        return False
    if word.startswith(wanted) or wanted.startswith(word):
        return False
    return _distance(word, wanted) == 1


def _distance(a: str, b: str) -> int:
    """Optimal string alignment distance (Levenshtein with adjacent swaps)."""
    if abs(len(a) - len(b)) > 1:
        return 2
    previous: list[int] = []
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        before, previous, row = previous, row, [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], before[j - 2] + 1)
    return row[-1]


def _tokens(text: str) -> tuple[str, ...]:
    """The message's words, casefolded, with Slack's markup gone (mentions, emoji, links
    but their labels, addresses), and `|` where a clause ends."""
    plain = _MARKUP.sub(_link_label, text)
    plain = plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    plain = _URL.sub(" ", _EMOJI.sub(" ", plain.casefold().replace("\u2019", "'")))
    tokens: list[str] = []
    for found in _TOKEN.finditer(plain):
        word = found.group().strip()
        if not word[0].isalnum() and word[0] != "_":
            tokens.append(_BOUNDARY)
            continue
        word = word.strip("_")
        word = word[:-2] if word.endswith("'s") else word
        if word:
            tokens.append(_BOUNDARY if word in _CLAUSE_WORDS else word)
    return tuple(tokens)


def _words(phrase: str) -> tuple[str, ...]:
    return tuple(t for t in _tokens(phrase) if t != _BOUNDARY)


def _link_label(found: re.Match[str]) -> str:
    target, label = found.group(1), found.group(2)
    if target.startswith(("http://", "https://")) and label:
        return f" {label} "
    return " "
