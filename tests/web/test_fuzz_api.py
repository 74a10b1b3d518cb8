"""The JSON API fuzzed from its own published schema: no input makes it fail (500).

schemathesis reads /api/openapi.json and, for every operation, sends requests built from it:
valid ones and broken ones (wrong types, numbers past any bound, dates in year 1 or 9999, lone
surrogates, control characters). A real app on a temporary SQLite database answers them
through the test client (tests/web/conftest.py). Each answer must be no server error, have a
status the schema publishes, and, for a refusal, the body the schema says (`{"detail": …}`,
and `errors` by field for a 422). Bounded: a few dozen examples an operation, no network.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import httpx2
import pytest
import requests
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from web.app import create_app
from web.context import StationContext
from web.settings import Settings

EXAMPLES = 25  # per operation: enough to reach the bounds, few enough for CI (~1 min in all)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_headers() -> dict[str, str]:
    """Headers every fuzzed request carries: the one place that says who is calling.

    Empty: the test client is already signed in (tests/web/conftest.py), and its cookie and
    CSRF header go with every request. A personal token goes here when the API is to be
    fuzzed as a token holder: {"Authorization": "Bearer loa_…"}.
    """
    return {}


def published_schema() -> dict[str, Any]:
    """Return the schema the app publishes: its routes', whatever the station (none is opened)."""
    unopened = StationContext(Settings(data_dir=Path(tempfile.gettempdir()) / "loa-unopened"))
    return create_app(unopened, run_scheduler=False).openapi()


schema = schemathesis.openapi.from_dict(published_schema())


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    # One station per operation on purpose: what one example creates, the next may find.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_no_request_makes_the_api_fail(
    case: schemathesis.Case, client: TestClient, api_headers: dict[str, str]
) -> None:
    sent = case.as_transport_kwargs(base_url=str(client.base_url), headers=api_headers)
    if not sent.get("cookies"):
        sent.pop("cookies", None)  # the client's own session cookie is the one to send
    if isinstance(sent.get("data"), bytes | str):
        sent["content"] = sent.pop("data")  # a raw body, as the test client names it
    answer = checked(client.request(**sent))
    case.validate_response(answer, checks=CHECKS, headers=api_headers, transport_kwargs=sent)


def checked(response: httpx2.Response) -> schemathesis.Response:
    """Return an answer as schemathesis checks it.

    Its own conversion re-reads the request's body, which a streamed multipart upload (with a
    "file" that is a number, say) cannot give twice; the checks need only the answer.
    """
    request = requests.Request(
        method=response.request.method,
        url=str(response.request.url),
        headers=dict(response.request.headers),
    ).prepare()
    return schemathesis.Response(
        status_code=response.status_code,
        headers={name: [value] for name, value in response.headers.items()},
        content=response.content,
        request=request,
        elapsed=0.0,
        message=response.reason_phrase,
        encoding=response.encoding,
        http_version=response.http_version,
        verify=True,
    )


# What schemathesis may not reach in a few examples: numbers far past any column, the bounds
# of a day, digits Python reads but nobody types. Each one, in every integer and date that a
# path or a query of the published schema takes.
ODD_NUMBERS = ["0", "-1", "2147483648", "9223372036854775808", "87112776236555627921408", "²", "٣"]
ODD_DAYS = ["0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01"]
PUBLISHED = published_schema()


def _parameters() -> list[tuple[str, str, str, str, str]]:
    """Every (method, path, where, name, type) of an integer or date parameter published."""
    found = []
    for path, operations in PUBLISHED["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                kinds = [schema, *schema.get("anyOf", [])]
                kind = next(
                    (k.get("format") or k["type"] for k in kinds if k.get("type") == "integer"
                     or k.get("format") == "date"),
                    None,
                )  # fmt: skip
                if kind is not None:
                    found.append((method, path, parameter["in"], parameter["name"], kind))
    return found


@pytest.mark.databases()  # PostgreSQL's INTEGER ends at 2^31-1, SQLite's at 2^63-1
@pytest.mark.parametrize(("method", "path", "where", "name", "kind"), _parameters())
def test_every_number_and_day_in_an_address_is_bounded(
    client: TestClient, method: str, path: str, where: str, name: str, kind: str
) -> None:
    ordinary = {"integer": "1", "date": "2026-12-01"}
    for odd in ODD_DAYS if kind == "date" else ODD_NUMBERS:
        values = {
            p["name"]: odd if p["name"] == name else ordinary.get(
                (p["schema"].get("format") or p["schema"].get("type", "")), "1"
            )
            for p in PUBLISHED["paths"][path][method].get("parameters", [])
            if p["in"] in ("path", "query") and (p["required"] or p["name"] == name)
        }  # fmt: skip
        address = path.format(**{k: v for k, v in values.items() if "{" + k + "}" in path})
        query = {k: v for k, v in values.items() if "{" + k + "}" not in path}
        answer = client.request(method.upper(), address, params=query, json={})
        assert answer.status_code < 500, (method, address, query, answer.text)
        if answer.status_code == 422:
            assert answer.json()["errors"], answer.text
