"""The one approval mechanism (审批): object, rule, approver chain, decision, comment.

A request is made about any object (a stage skip on an opportunity, a discount on a quote, a
contract). Its chain is a list of steps, each naming the role whose holders decide it; a holder
decides only if the object is inside their own data scope and they hold the ``approve`` right
on the request's object type. Approving the last step approves the request; rejecting any step
rejects it. Each decision is a row with comment and time; what happens after approval is up to
the module that asked (it checks ``request.status``), so this module knows no domain.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import audit
from .errors import DomainError, NotAllowed, ValidationError
from .models import ApprovalRequest, ApprovalStep
from .scope import has_right, is_in_scope, registry

# kind → functions called as ``fn(request=, actor=)`` after every decision (and cancellation)
# on a request of that kind, inside its transaction: the module that asked moves its object on
# when ``request.status`` says so (this module still knows no domain).
_decided_hooks: dict[str, list] = {}


def on_decided(kind: str, fn) -> None:
    hooks = _decided_hooks.setdefault(kind, [])
    if fn not in hooks:
        hooks.append(fn)


def _run_decided_hooks(request: ApprovalRequest, actor) -> None:
    for fn in _decided_hooks.get(request.kind, ()):
        fn(request=request, actor=actor)


def approval_request(
    *,
    actor,
    obj,
    kind: str,
    object_type: str,
    title: str,
    reason: str,
    chain: list,
    payload: dict | None = None,
) -> ApprovalRequest:
    """Open a request about ``obj``. ``chain`` is a list of Role objects (one step each)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写申请理由。")})
    if not chain:
        raise ValidationError({"chain": _("审批链不能为空。")})
    content_type = ContentType.objects.get_for_model(obj)
    with transaction.atomic():
        open_same = ApprovalRequest.objects.select_for_update().filter(
            content_type=content_type,
            object_id=obj.pk,
            kind=kind,
            status=ApprovalRequest.Status.PENDING,
        )
        if payload is not None:
            open_same = open_same.filter(payload=payload)
        if open_same.exists():
            raise DomainError(_("已有一条相同的待审批申请。"))
        request = ApprovalRequest.objects.create(
            content_type=content_type,
            object_id=obj.pk,
            kind=kind,
            object_type=object_type,
            title=title[:200],
            reason=reason,
            payload=payload or {},
            requested_by=actor,
        )
        ApprovalStep.objects.bulk_create(
            ApprovalStep(request=request, order=index, role=role)
            for index, role in enumerate(chain)
        )
        audit(actor=actor, action=f"approval.request.{kind}", obj=request, message=reason)
    return request


def can_decide(user, request: ApprovalRequest) -> bool:
    step = request.current_step()
    if step is None or request.status != ApprovalRequest.Status.PENDING:
        return False
    if user.pk == request.requested_by_id:
        return False  # nobody approves their own request
    if not user.roles.filter(pk=step.role_id).exists() and not user.is_superuser:
        return False
    if not has_right(user, request.object_type, "approve"):
        return False
    obj = request.target()
    if obj is None:
        return False
    if type(obj) in registry():
        return is_in_scope(user, obj, "view")
    return True


def approval_decide(*, actor, request_id: int, approve: bool, comment: str = "") -> ApprovalRequest:
    """Decide the current step. A rejection needs a comment."""
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationError({"comment": _("驳回时请填写意见。")})
    with transaction.atomic():
        request = ApprovalRequest.objects.select_for_update().get(pk=request_id)
        if request.status != ApprovalRequest.Status.PENDING:
            raise DomainError(_("该申请已处理。"))
        if not can_decide(actor, request):
            raise NotAllowed(_("您不是当前步骤的审批人。"))
        step = request.current_step()
        step.decision = (
            ApprovalStep.Decision.APPROVED if approve else ApprovalStep.Decision.REJECTED
        )
        step.decided_by, step.decided_at, step.comment = actor, timezone.now(), comment
        step.save()
        if not approve:
            request.status = ApprovalRequest.Status.REJECTED
        elif request.current_step() is None:
            request.status = ApprovalRequest.Status.APPROVED
        if request.status != ApprovalRequest.Status.PENDING:
            request.decided_at = timezone.now()
        request.save()
        audit(
            actor=actor,
            action=f"approval.{'approve' if approve else 'reject'}",
            obj=request,
            message=comment,
        )
        _run_decided_hooks(request, actor)
    return request


def approval_cancel(*, actor, request_id: int) -> ApprovalRequest:
    with transaction.atomic():
        request = ApprovalRequest.objects.select_for_update().get(pk=request_id)
        if request.requested_by_id != actor.pk:
            raise NotAllowed(_("只能撤回自己的申请。"))
        if request.status != ApprovalRequest.Status.PENDING:
            raise DomainError(_("该申请已处理。"))
        request.status = ApprovalRequest.Status.CANCELLED
        request.decided_at = timezone.now()
        request.save()
        audit(actor=actor, action="approval.cancel", obj=request)
        _run_decided_hooks(request, actor)
    return request


def approval_consume(request: ApprovalRequest) -> None:
    """Mark an approved request as used (a skip is taken once)."""
    ApprovalRequest.objects.filter(pk=request.pk).update(consumed_at=timezone.now())


def inbox(user):
    """Pending requests whose current step the user may decide (the approvals inbox)."""
    role_ids = list(user.roles.values_list("pk", flat=True))
    candidates = (
        ApprovalRequest.objects.filter(status=ApprovalRequest.Status.PENDING)
        .filter(steps__role_id__in=role_ids, steps__decision="")
        .exclude(requested_by=user)
        .select_related("requested_by", "content_type")
        .prefetch_related("steps__role")
        .distinct()
        .order_by("requested_at")
    )
    return [r for r in candidates if can_decide(user, r)]
