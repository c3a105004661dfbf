"""`/openapi.json` describes every route the app serves, and nothing it does not; `/docs` is
Swagger UI from bundled assets, asking no other host for anything."""
from __future__ import annotations

import re

import falcon
import pytest

from tui_notifier.api.app import make_app
from tui_notifier.api.openapi import documented_path

METHODS = {"get", "post", "put", "patch", "delete"}


def served_routes(app: falcon.App) -> dict[str, set[str]]:
    """Every path template the app routes, with the methods it answers (found in the router)."""
    found: dict[str, set[str]] = {}

    def walk(nodes):
        for node in nodes:
            if node.resource is not None:
                methods = {m.lower() for m in falcon.routing.map_http_methods(node.resource)}
                found[documented_path(node.uri_template)] = methods & METHODS
            walk(node.children)

    walk(app._router._roots)
    return found


def test_every_route_is_documented_and_every_documented_route_exists(api):
    spec = api.get("/openapi.json").json()
    assert spec["openapi"] == "3.1.0"
    documented = {path: set(item) & METHODS for path, item in spec["paths"].items()}
    served = served_routes(make_app())
    assert served == documented
    assert len(served) > 25


def test_each_documented_operation_answers_on_the_live_server(api):
    spec = api.get("/openapi.json").json()
    for path, item in spec["paths"].items():
        concrete = re.sub(r"{dispatch_id}|{reference}", "08bc9620-c0e6-45a7-97ca-bbbf94a04bdf", path)
        concrete = re.sub(r"{\w+}", "1", concrete)
        for method in set(item) & METHODS:
            answer = api.send(method.upper(), concrete, {} if method in ("post", "put", "patch") else None)
            assert answer.status not in (405, 500), (method, concrete, answer.text)
            if "{" not in path:
                assert answer.status != 404, (method, concrete)


def test_every_operation_documents_its_answers_and_errors(api):
    spec = api.get("/openapi.json").json()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            assert operation["summary"] and operation["responses"], (method, path)
            if path not in ("/openapi.json", "/docs/"):
                assert "401" in operation["responses"]
            if method in ("put", "patch") or "requestBody" in operation:
                body = operation["requestBody"]["content"]
                assert set(body) == {"application/json", "application/x-www-form-urlencoded"}


def test_docs_is_swagger_ui_from_bundled_assets_and_needs_no_token(api):
    pytest.importorskip("swagger_ui_bundle")
    page = api.get("/docs/", headers={"Authorization": ""})
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/docs/static/") for s in sources)
    assert "validatorUrl: null" in page.text and "http" not in page.text.replace("http-equiv", "")
    for source in sources:
        asset = api.get(source)
        assert asset.status == 200 and len(asset.text) > 1000
    assert api.get("/openapi.json").status == 200
