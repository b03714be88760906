"""Does the Okta user exist, is it unambiguous and active?"""

from __future__ import annotations

from checks import links
from checks.common import when
from checks.errors import UserNotFound
from checks.facts import Facts
from checks.model import Finding, Status

CHECK = "user"

# Okta pushes profile changes for users who can sign in; these states are still "active".
_ACTIVE = frozenset({"ACTIVE", "PASSWORD_EXPIRED", "LOCKED_OUT", "RECOVERY"})
_NOT_YET = frozenset({"STAGED", "PROVISIONED"})


async def run(facts: Facts) -> Finding:
    try:
        user = await facts.user()
    except UserNotFound as exc:
        return Finding(
            CHECK, Status.PROBLEM, str(exc), "Check the spelling, or use the Okta login."
        )
    link = links.user_page(facts.okta.org_url, user)
    evidence = (
        ("Okta user", f"{user.display_name} <{user.login}> ({user.id})"),
        ("Status", user.status),
        ("Profile last updated", when(user.last_updated, facts.now)),
    )
    if user.status in _ACTIVE:
        title = f"{user.display_name} ({user.login}) is an active Okta user."
        return Finding(CHECK, Status.OK, title, link=link, evidence=evidence)
    if user.status in _NOT_YET:
        title = f"{user.display_name} is {user.status} in Okta and not yet activated."
        detail = "Okta pushes profile changes to apps once the user is activated."
        return Finding(CHECK, Status.WARNING, title, detail, link=link, evidence=evidence)
    title = f"{user.display_name} is {user.status} in Okta, so Okta pushes nothing for them."
    detail = "Reactivate the user in Okta (Directory > People) if they should keep their apps."
    return Finding(CHECK, Status.PROBLEM, title, detail, link=link, evidence=evidence)
