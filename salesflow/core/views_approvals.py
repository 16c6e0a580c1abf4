"""The approvals inbox (审批), generic over the kind of request: "待我审批" (pending requests
whose current step the user may decide), "我的申请" (with status, step decisions and a cancel
button while pending) and "我已审批". Deciding and cancelling go through ``approvals``.

Each kind of request links to its object through a small registry (``register_kind``); the
link is shown only when the viewer may see the object. Modules register their kinds here
(quotes and contracts will add theirs)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from . import approvals
from .errors import DomainError
from .models import ApprovalRequest, ApprovalStep
from .scope import has_right, registry

MINE_PAGE_SIZE = 20
DECIDED_LIMIT = 20


@dataclass(frozen=True)
class Kind:
    label: str
    url: Callable[[ApprovalRequest], str]


_kinds: dict[str, Kind] = {}


def register_kind(kind: str, label, url: Callable[[ApprovalRequest], str]) -> None:
    _kinds[kind] = Kind(label, url)


register_kind(
    "stage_skip",
    gettext_lazy("阶段跳过"),
    lambda request: reverse("pipeline:detail", args=[request.object_id]),
)


def kind_label(request: ApprovalRequest) -> str:
    kind = _kinds.get(request.kind)
    return str(kind.label) if kind else request.kind


def object_url(request: ApprovalRequest) -> str | None:
    """The page of the request's object (no visibility check: see ``annotate``)."""
    kind = _kinds.get(request.kind)
    return kind.url(request) if kind else None


def _visible(user, requests) -> set[tuple[int, int]]:
    """(content type, object id) pairs of the requests' objects the user may see — one query
    per content type, whatever the number of requests."""
    wanted: dict[int, set[int]] = defaultdict(set)
    types = {}
    for request in requests:
        wanted[request.content_type_id].add(request.object_id)
        types[request.content_type_id] = request
    visible = set()
    owned = registry()
    for content_type_id, ids in wanted.items():
        sample = types[content_type_id]
        model = sample.content_type.model_class()
        if model is None:
            continue
        if model in owned:
            rows = model._default_manager.restrict(user, "view").filter(pk__in=ids)
            visible |= {(content_type_id, pk) for pk in rows.values_list("pk", flat=True)}
        elif has_right(user, sample.object_type, "view"):
            visible |= {(content_type_id, pk) for pk in ids}
    return visible


def annotate(user, requests) -> list[ApprovalRequest]:
    """Attach ``kind_label`` and ``object_link`` (None when the user may not see the object)."""
    requests = list(requests)
    visible = _visible(user, requests)
    for request in requests:
        request.kind_label = kind_label(request)
        seen = (request.content_type_id, request.object_id) in visible
        request.object_link = object_url(request) if seen else None
    return requests


def _with_steps(qs):
    return qs.select_related("requested_by", "content_type").prefetch_related(
        Prefetch("steps", queryset=ApprovalStep.objects.select_related("role", "decided_by"))
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", gettext_lazy("同意")), ("reject", gettext_lazy("驳回"))]
    )
    comment = forms.CharField(
        label=gettext_lazy("审批意见"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("驳回时必须填写意见。"),
    )


@login_required
@require_http_methods(["GET"])
def inbox(request):
    """Open to everyone signed in: anyone may have requests of their own."""
    user = request.user
    pending = annotate(user, approvals.inbox(user))
    mine_qs = _with_steps(ApprovalRequest.objects.filter(requested_by=user)).order_by(
        "-requested_at", "-id"
    )
    mine = Paginator(mine_qs, MINE_PAGE_SIZE).get_page(request.GET.get("page"))
    mine_rows = annotate(user, mine.object_list)
    decided = list(
        ApprovalStep.objects.filter(decided_by=user)
        .select_related("request__requested_by", "request__content_type")
        .order_by("-decided_at", "-id")[:DECIDED_LIMIT]
    )
    decided_requests = annotate(user, [step.request for step in decided])
    for step, req in zip(decided, decided_requests, strict=True):
        step.request = req
    return render(
        request,
        "approvals/inbox.html",
        {
            "pending": pending,
            "mine": mine,
            "mine_rows": mine_rows,
            "decided": decided,
            "tab": request.GET.get("tab") or ("mine" if not pending else "pending"),
        },
    )


def _decidable(user, pk) -> ApprovalRequest:
    request = _with_steps(ApprovalRequest.objects.filter(pk=pk)).first()
    if request is None or not approvals.can_decide(user, request):
        raise Http404
    return request


@login_required
@require_http_methods(["GET", "POST"])
def decide(request, pk):
    """同意 / 驳回 with a comment (a rejection needs one). 404 for anyone who may not decide
    the request's current step."""
    user = request.user
    approval = _decidable(user, pk)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            approvals.approval_decide(
                actor=user,
                request_id=approval.pk,
                approve=approve,
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except (DomainError, PermissionDenied) as exc:
            messages.error(request, getattr(exc, "message", None) or str(exc))
            return redirect("approvals:inbox")
        else:
            messages.success(
                request,
                (_("已同意：%(title)s") if approve else _("已驳回：%(title)s"))
                % {"title": approval.title},
            )
            return redirect("approvals:inbox")
    annotate(user, [approval])
    return render(
        request,
        "approvals/decide.html",
        {"approval": approval, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def cancel(request, pk):
    """撤回 one's own pending request."""
    user = request.user
    approval = ApprovalRequest.objects.filter(pk=pk, requested_by=user).first()
    if approval is None:
        raise Http404
    try:
        approvals.approval_cancel(actor=user, request_id=approval.pk)
    except (DomainError, PermissionDenied) as exc:
        messages.error(request, getattr(exc, "message", None) or str(exc))
    else:
        messages.success(request, _("申请已撤回：%(title)s") % {"title": approval.title})
    return redirect(reverse("approvals:inbox") + "?tab=mine")
