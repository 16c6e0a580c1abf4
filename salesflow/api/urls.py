"""Mounted at /api/ by the project's URL conf. No app namespace: ninja reverses its own
"api-1" namespace (schema, docs) from the root."""

from django.urls import path

from . import views
from .api import api

urlpatterns = [
    path("v1/", api.urls),
    path("tokens/", views.token_list, name="api_tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="api_token_revoke"),
]
