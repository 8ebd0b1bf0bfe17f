"""/openapi.json describes every URL, and a live gunicorn answers schemathesis' requests as it says: no 5xx."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from allforces_feeds.models import SCOPE_KINDS
from allforces_feeds.render import FORMATS
from allforces_feeds.web.paths import wsgi_path

from ..conftest import PUBLIC_URL, SITE_URL
from ..live import Server, gunicorn

# Bounded: ~50 examples an operation (about 60 operations, a few thousand loopback requests, ~45 s).
MAX_EXAMPLES = 50
# Small enough that the bundled content's site and biggest tags have archive pages for schemathesis to find.
LIVE_FEED_LIMIT = "3"


def test_openapi_describes_every_routed_path(client: FlaskClient) -> None:
    """Every URL /feeds.json lists, and the fixed ones, answer 200 and match a documented path."""
    document = client.get("/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert document["servers"] == [{"url": PUBLIC_URL}]
    templates = [re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$") for path in document["paths"]]
    listed = client.get("/feeds.json").get_json()["feeds"]
    served = [urlsplit(url).path for feed in listed for url in feed["urls"].values()]
    served += [f"/{feed['scope']}/{feed['slug']}/" for feed in listed if feed["slug"]]
    served += ["/", "/feeds.json", "/feeds.opml", "/embed.js", "/embed/latest.json", "/embed/latest.html", "/healthz"]
    assert len(served) > 50
    for path in served:
        assert client.get(path).status_code == 200, path
        assert any(template.match(path) for template in templates), path
    feed = document["paths"]["/tags/{slug}/feed.xml"]["get"]["responses"]
    assert sorted(feed) == ["200", "301", "304", "404", "412", "414"]
    assert {"ETag", "Last-Modified", "Cache-Control", "Vary"} <= set(feed["200"]["headers"])


def test_openapi_describes_every_archive_path(make_app: Callable[..., Flask]) -> None:
    """Every archive page of every scope and format matches a documented path, with its own statuses."""
    app = make_app(FEED_LIMIT=LIVE_FEED_LIMIT)
    client = app.test_client()
    document = client.get("/openapi.json").get_json()
    for fmt in FORMATS.values():
        assert f"/archive/{{number}}/{fmt.file}" in document["paths"]
        for kind in SCOPE_KINDS:
            operation = document["paths"][f"/{kind}/{{slug}}/archive/{{number}}/{fmt.file}"]["get"]
            assert [p["name"] for p in operation["parameters"][:2]] == ["slug", "number"]
            assert sorted(operation["responses"]) == ["200", "301", "304", "404", "412", "414"]
    site = document["paths"]["/archive/{number}/feed.xml"]["get"]
    assert sorted(site["responses"]) == ["200", "304", "404", "412", "414"]
    assert site["parameters"][0]["schema"] == {"type": "integer", "minimum": 1}
    templates = [re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$") for path in document["paths"]]
    router = app.extensions["allforces"]
    served = [
        wsgi_path(router.urls.archive_path(scope.kind, scope.slug, number, fmt.file))
        for scope in router.current().all_scopes()
        for number in range(1, router.archive(scope).count + 1)
        for fmt in FORMATS.values()
    ]
    assert len(served) > 20  # the site and several tags have archive pages at this FEED_LIMIT
    for path in served:
        url = quote(path.encode("latin-1").decode("utf-8"))
        assert client.get(url).status_code == 200, url
        assert any(template.match(url) for template in templates), url


@pytest.fixture(scope="module")
def live() -> Iterator[Server]:
    """gunicorn (this repo's config) over the bundled content, with a FEED_LIMIT that makes archive pages."""
    env = {"ALLFORCES_SITE_URL": SITE_URL, "ALLFORCES_PUBLIC_URL": PUBLIC_URL, "ALLFORCES_CACHE_DIR": ""}
    env["ALLFORCES_FEED_LIMIT"] = LIVE_FEED_LIMIT
    with gunicorn(env) as server:
        yield server


@pytest.fixture(scope="module")
def api_schema(live: Server) -> Any:
    """The schema as the live server serves it, its requests sent to that server."""
    schema = schemathesis.openapi.from_url(live.base + "/openapi.json")
    schema.config.update(base_url=live.base, request_timeout=10)
    # deterministic: the same requests on every run; no example database written into the work tree.
    # A valid If-Match or If-Unmodified-Since may be false: 412 is then the answer (RFC 9110 §13.1.1, §13.1.4).
    acceptance = schema.config.checks.positive_data_acceptance
    acceptance.expected_statuses = [*acceptance.expected_statuses, "412"]
    # Invalid input may also be refused by gunicorn, before the application: a request line too long.
    rejection = schema.config.checks.negative_data_rejection
    rejection.expected_statuses = [*rejection.expected_statuses, "414"]
    schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True, database="none")
    return schema


def operations() -> list[Any]:
    """(method, path, mode) of every operation of the document, to parametrize over before a server runs.

    Invalid requests only where a query parameter has a form to break (limit, tag...): a path parameter
    cannot be left empty in a URL, and conditional headers are any text, which no request can violate.
    """
    from allforces_feeds.web.openapi import describe

    found = []
    for path, methods in describe(PUBLIC_URL)["paths"].items():
        for method, operation in methods.items():
            found.append(pytest.param(method.upper(), path, GenerationMode.POSITIVE, id=f"{method.upper()} {path}"))
            if any(parameter["in"] == "query" for parameter in operation.get("parameters", [])):
                invalid = pytest.param(
                    method.upper(), path, GenerationMode.NEGATIVE, id=f"{method.upper()} {path} invalid"
                )
                found.append(invalid)
    return found


# Not schemathesis' pytest plugin (its parametrize fails under pytest 9): its strategies, driven by Hypothesis.
@pytest.mark.parametrize(("method", "path", "mode"), operations())
def test_live_server_answers_as_its_openapi_says(api_schema: Any, method: str, path: str, mode: Any) -> None:
    """Every operation, fed schemathesis' requests, answers as documented."""
    operation = api_schema[path][method]

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: Any) -> None:
        """One generated request, sent and validated."""
        # Every default check: no 5xx, status codes, content types, headers and bodies as documented,
        # invalid input refused with a 4xx, methods not listed answered 405.
        case.call_and_validate()

    check()
