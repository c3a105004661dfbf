"""`/openapi.json` and `/docs`: Swagger UI from the assets bundled with the `[api]` extra, on
a page of our own, so the browser asks no other host for anything (no validator either)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import falcon

from tui_notifier.api.openapi import document

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>tui_notifier HTTP API</title>
<link rel="stylesheet" href="/docs/static/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", validatorUrl: null,
  deepLinking: true, persistAuthorization: true});</script>
</body></html>
"""


def assets_dir() -> Path | None:
    if importlib.util.find_spec("swagger_ui_bundle") is None:
        return None
    import swagger_ui_bundle

    path = Path(swagger_ui_bundle.swagger_ui_path).resolve()
    return path if (path / "swagger-ui-bundle.js").exists() else None


class Spec:
    public = True

    def __init__(self):
        self.body = None

    def on_get(self, req, resp):
        if self.body is None:
            self.body = document()
        resp.media = self.body


class Docs:
    public = True

    def __init__(self, assets: Path | None):
        self.assets = assets

    def on_get(self, req, resp):
        if self.assets is None:
            raise falcon.HTTPNotFound(description="Swagger UI is not installed: pip install 'tui_notifier[api]'")
        resp.content_type = falcon.MEDIA_HTML
        resp.text = PAGE


def install(app: falcon.App) -> None:
    assets = assets_dir()
    app.add_route("/openapi.json", Spec())
    app.add_route("/docs", Docs(assets))
    if assets is not None:
        app.add_static_route("/docs/static", str(assets))
