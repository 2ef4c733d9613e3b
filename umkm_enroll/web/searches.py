"""Typed searches kept in the session: a list's URL carries an opaque token (`s`), never the text, so
names, NIKs and phone numbers do not appear in URLs, access logs or the browser history."""

from __future__ import annotations

import secrets

from django.http import HttpRequest

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
