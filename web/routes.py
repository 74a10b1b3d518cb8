"""The app's routes as it serves them, however its routers were included.

FastAPI 0.16x keeps an included router whole and resolves its routes on demand, each as a
context that matches the full path (prefix included); older versions copied the routes into
the app. Both the permission table (web/auth.py, tests/web/test_permissions.py) and the body
limits (web/limits.py) walk the routes here, the one place that knows how.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi.routing import APIRoute


def served(routes: Iterable[Any]) -> Iterator[Any]:
    """Yield every route the app serves, each able to match a request's full path."""
    for route in routes:
        included = getattr(route, "effective_route_contexts", None)
        if included is not None:
            yield from included()
        else:
            yield route


@dataclass(frozen=True)
class Endpoint:
    """One route as the app serves it: its full path, its methods, and the route itself."""

    path: str
    methods: frozenset[str]
    route: APIRoute


def endpoints(routes: Iterable[Any]) -> list[Endpoint]:
    """Every APIRoute the app serves, with its full path."""
    found = []
    for route in served(routes):
        original = getattr(route, "original_route", route)
        if isinstance(original, APIRoute):
            found.append(Endpoint(route.path, frozenset(original.methods or ()), original))
    return found
