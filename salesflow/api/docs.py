"""The interactive API documentation (Swagger UI) served from our own static files: the
vendor copy of the ``swagger-ui-dist`` npm package and a small start-up script, so the page
works offline and under the Content-Security-Policy (no CDN, no inline script)."""

from __future__ import annotations

from django.shortcuts import render
from ninja.openapi.docs import DocsBase


class LocalSwagger(DocsBase):
    settings = {
        "layout": "BaseLayout",
        "deepLinking": True,
        "persistAuthorization": False,
        "validatorUrl": None,
        "tryItOutEnabled": False,
    }

    def render_page(self, request, api, **kwargs):
        return render(
            request,
            "api/docs.html",
            {
                "api": api,
                "swagger_settings": {**self.settings, "url": self.get_openapi_url(api, kwargs)},
            },
        )
