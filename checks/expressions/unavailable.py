"""Why a documented reference or function cannot be evaluated here: it needs state attrsync
does not have (another app's profile, the time, a manager, a directory assignment), or Okta
does not document its result well enough to reproduce it."""

from __future__ import annotations

_ROOTS = {
    "idpuser": "idpuser reads an IdP user profile, which exists only in IdP username transforms",
    "app": "app.* reads the app instance's settings, which attrsync does not fetch",
    "org": "org.* reads the org's settings, which attrsync does not fetch",
    "session": "session.* exists only when a user signs in",
    "access": "access.* exists only in OAuth 2.0 token claims",
    "device": "device.* exists only in Identity Engine policies",
    "security": "security.* exists only in Identity Engine policies",
    "login": "login.* exists only in Identity Engine policies",
    "group": "group.* is bound only inside a getFilteredGroups group expression",
}
_NAMESPACES = frozenset({"String", "Convert", "Arrays", "Time", "Iso3166Convert", "Groups"})

_DIRECTORY = "needs the user's {} assignments, which attrsync does not fetch"
_FUNCTIONS = {
    "Time.now": "Time.now depends on the moment Okta evaluates the mapping",
    "getManagerUser": "needs the manager's profile from Active Directory, which attrsync does "
    "not fetch",
    "getManagerAppUser": "needs the manager's app user profile, which attrsync does not fetch",
    "getAssistantUser": "needs the assistant's profile from Active Directory, which attrsync "
    "does not fetch",
    "getAssistantAppUser": "needs the assistant's app user profile, which attrsync does not fetch",
    "hasDirectoryUser": _DIRECTORY.format("Active Directory"),
    "findDirectoryUser": _DIRECTORY.format("Active Directory"),
    "hasWorkdayUser": _DIRECTORY.format("Workday"),
    "findWorkdayUser": _DIRECTORY.format("Workday"),
    "user.getLinkedObject": "needs the user's linked objects, which attrsync does not fetch",
    "user.getInternalProperty": "needs the user's id or status, which are not profile attributes",
    "user.isMemberOf": "user.isMemberOf exists only in Identity Engine policy expressions",
    "isMemberOfGroupNameRegex": "Okta does not document how isMemberOfGroupNameRegex matches "
    "(whole name or part; the reference's example starts with '/')",
}
_FAMILIES = {
    "Time.": "Okta does not document the exact output of {} (fraction digits, zone designator)",
    "Iso3166Convert.": "{} needs an ISO 3166 country table with Okta's country names, which "
    "attrsync does not carry",
    "Groups.": "{} is for group claims only; Okta's reference says it cannot be used in "
    "property mappings",
}


def reference(path: tuple[str, ...]) -> str:
    dotted = ".".join(path)
    root = path[0]
    if len(path) == 1:
        return f"bare name {root!r}: Okta resolves it against a context attrsync does not model"
    if root in ("user", "source", "appuser", "appUser"):
        return f"{dotted} reads a property of an attribute value, which is not supported"
    if root in _ROOTS:
        return _ROOTS[root]
    if root in _NAMESPACES:
        return f"{dotted} is not a value (a function needs parentheses)"
    if root.startswith("$"):
        return f"{root} is the reference's placeholder for an app's variable name, not a name"
    if root.endswith("_app"):
        return f"{dotted} reads the settings of app {root[:-4]}, which attrsync does not fetch"
    return f"{dotted} reads the app user profile of app {root!r}, which attrsync does not fetch"


def function(name: str) -> str:
    if name in _FUNCTIONS:
        return _FUNCTIONS[name]
    root, *rest = name.split(".")
    if root in ("user", "source", "appuser", "appUser") and len(rest) > 1:
        return f"Java methods on attribute values (.{rest[-1]}()) are not supported"
    for prefix, reason in _FAMILIES.items():
        if name.startswith(prefix):
            return reason.format(name)
    return f"unsupported function {name}"
