"""Typed searches kept in the session: a list's URL carries an opaque token (`s`), never the text, so
names, NIKs and phone numbers do not appear in URLs, access logs or the browser history."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.http import HttpRequest, HttpResponseRedirect, QueryDict

SESSION_KEY = "list_searches"
KEPT = 20


def search_remember(request: HttpRequest, q: str) -> str:
    searches: dict[str, str] = request.session.get(SESSION_KEY, {})
    for token, text in searches.items():
        if text == q:
            return token
    token = secrets.token_urlsafe(6)
    searches[token] = q
    request.session[SESSION_KEY] = dict(list(searches.items())[-KEPT:])
    return token


def search_recall(request: HttpRequest, token: str) -> str:
    if not token:
        return ""
    return str(request.session.get(SESSION_KEY, {}).get(token, ""))


def search_redirect(
    request: HttpRequest, url: str, keep: Iterable[str] = (), *, anchor: str = ""
) -> HttpResponseRedirect:
    """The answer to a posted search form: the list's URL with the posted filters named in `keep` and a
    token for the typed text (`q`), never the text itself."""
    params = QueryDict(mutable=True)
    for name in keep:
        if request.POST.get(name):
            params[name] = request.POST[name]
    q = request.POST.get("q", "").strip()
    if q:
        params["s"] = search_remember(request, q[:100])
    query = params.urlencode()
    return HttpResponseRedirect(f"{url}{'?' + query if query else ''}{anchor}")
