"""Typed keys of what the gateway application holds (``app[KEY]``)."""

from __future__ import annotations

import collections
import weakref

from aiohttp import web

from gateway.db.procedures import Database
from gateway.settings import Settings
from gateway.web.limits import AuthFailures
from gateway.web.metrics import Metrics
from gateway.web.sessions import TokenCache
from gateway.web.tailer import Hub, Tailer

SETTINGS = web.AppKey("settings", Settings)
METRICS = web.AppKey("metrics", Metrics)
DATABASE = web.AppKey("database", Database)
HUB = web.AppKey("hub", Hub)
TAILER = web.AppKey("tailer", Tailer)
SOCKETS = web.AppKey("sockets", weakref.WeakSet[web.WebSocketResponse])
AUTH_FAILURES = web.AppKey("auth_failures", AuthFailures)
# Open WebSockets per token id (SEGUIMIENTO_WS_MAX_PER_TOKEN caps them).
SOCKETS_PER_TOKEN = web.AppKey("sockets_per_token", collections.Counter[int])
# Validated tokens, dropped by the outbox events that end sessions (gateway/web/sessions.py).
TOKEN_CACHE = web.AppKey("token_cache", TokenCache)
