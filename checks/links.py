"""Deep links into the Okta admin console, where a person fixes what a check found."""

from __future__ import annotations

import functools
from urllib.parse import quote, urlsplit

from checks.model import App, User


@functools.lru_cache(maxsize=16)  # every finding links to the console: a scan asks per user
def admin_base(org_url: str) -> str:
    """The admin console's origin: acme.okta.com is administered at acme-admin.okta.com."""
    parts = urlsplit(org_url)
    host = parts.hostname or ""
    first, dot, rest = host.partition(".")
    if dot and rest.endswith(("okta.com", "oktapreview.com", "okta-emea.com", "okta.mil")):
        host = f"{first}-admin.{rest}"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def app_tab(org_url: str, app: App, tab: str) -> str:
    """tab: 'user-management' (Provisioning), 'assignments' or 'general'."""
    return f"{admin_base(org_url)}/admin/app/{app.name}/instance/{app.id}/#tab-{tab}"


def provisioning(org_url: str, app: App) -> str:
    return app_tab(org_url, app, "user-management")


def assignments(org_url: str, app: App) -> str:
    return app_tab(org_url, app, "assignments")


def profile_editor(org_url: str, app: App) -> str:
    return f"{admin_base(org_url)}/admin/universaldirectory#app/{app.id}"


def user_page(org_url: str, user: User) -> str:
    return f"{admin_base(org_url)}/admin/user/profile/view/{user.id}"


def system_log(org_url: str, *target_ids: str) -> str:
    # Quoted a part at a time: the fixed parts once, not each character of every link a scan
    # writes (ids are letters and digits; quote leaves them as they are, fast).
    search = _AND.join(f"{_TARGET}{quote(t)}{_QUOTE}" for t in target_ids)
    return f"{admin_base(org_url)}/report/system_log_2?search={search}"


_TARGET = quote('target.id eq "')
_QUOTE = quote('"')
_AND = quote(" and ")


def tasks(org_url: str) -> str:
    return f"{admin_base(org_url)}/admin/tasks"


def user_profile_editor(org_url: str, user: User) -> str:
    """The Profile Editor of the user's type, where an attribute's Source priority is set."""
    base = f"{admin_base(org_url)}/admin/universaldirectory"
    return f"{base}#okta/{user.type_id}" if user.type_id else base


def app_sign_on(org_url: str, app: App) -> str:
    """The app's Sign On tab, where its username format and "Update application username on"
    are set."""
    return app_tab(org_url, app, "signon")
