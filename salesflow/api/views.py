"""Pages for personal access tokens (/api/tokens/): list, create (the secret is shown once, on
the answer to the POST, never again), revoke. Every signed-in user manages their own."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from . import selectors, services
from .forms import TokenForm


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def token_list(request):
    form = TokenForm(request.POST or None)
    created = secret = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created, secret = services.token_create(
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                    expires_in_days=form.expiry_days(),
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form = TokenForm()
        if secret is None:
            status = 400
    return render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "tokens": selectors.token_list(user=request.user),
            "created": created,
            "secret": secret,
            "docs_url": reverse("api-1:openapi-view"),
        },
        status=status,
    )


@login_required
@require_POST
def token_revoke(request, pk):
    token = services.token_revoke(actor=request.user, token_id=pk)
    messages.success(request, _("令牌“%(name)s”已吊销，立即失效。") % {"name": token.name})
    return redirect("api_tokens")
