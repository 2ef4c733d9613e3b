"""Enrollment pages: the operator's form and submissions, the officer's queue, decisions and bulk jobs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cards.models import Card
from umkm_enroll.accounts.access import role_required, scoped
from umkm_enroll.accounts.models import Role
from umkm_enroll.audit.services import history_of
from umkm_enroll.exports.views import export_context
from umkm_enroll.regions.models import Regency
from umkm_enroll.web.http import AppRequest
from umkm_enroll.web.listing import paginate
from umkm_enroll.web.searches import search_recall, search_redirect

from . import enrollments as service
from .enrollment_forms import (
    ApproveForm,
    BulkDecisionForm,
    EndForm,
    EnrollmentForm,
    QueueFilterForm,
    RejectForm,
)
from .models import DuplicateFlag, Enrollment, EnrollmentQuerySet, EnrollmentStatus, Member
from .selectors import filter_by_person

OPERATORS = (Role.OPERATOR,)
OFFICERS = (Role.OFFICER,)
# Statuses an operator hears about: what someone else did to the office's submissions.
NEWS = [
    EnrollmentStatus.APPROVED,
    EnrollmentStatus.REJECTED,
    EnrollmentStatus.ACTIVE,
    EnrollmentStatus.LAPSED,
    EnrollmentStatus.ENDED,
]


def changed_since_seen(user: Any) -> int:
    """The badge: decisions and status changes on the user's office's submissions since the user last
    opened the submissions page."""
    if not user.is_authenticated or user.office_id is None or not user.has_role(*OPERATORS):
        return 0
    changed = Enrollment.objects.filter(submitted_office_id=user.office_id, status__in=NEWS)
    if user.submissions_seen_at:
        changed = changed.filter(status_changed_at__gt=user.submissions_seen_at)
    return changed[:100].count()


def _flash_errors(request: AppRequest, form: Any) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))


def _enrollments(user: Any) -> EnrollmentQuerySet:
    return Enrollment.objects.visible_to(user).select_related(
        "member", "member__regency", "submitted_office", "submitted_by", "decided_by"
    )


def enrollments_listed(
    user: Any, *, all_of_area: bool, status: str = "", search: str = ""
) -> EnrollmentQuerySet:
    """The enrollments list: an operator's own office's submissions (or, with `all_of_area`, the whole
    area), others the enrollments of their area; by status and the person searched for (a name, a full
    NIK, a KPJ or phone number), latest change first."""
    base = _enrollments(user)
    if search:
        base = filter_by_person(base, search)
    if user.has_role(*OPERATORS) and user.office_id is not None and not all_of_area:
        # Submitted by the office, or drafts it started and has not submitted yet.
        base = base.filter(
            Q(submitted_office_id=user.office_id)
            | Q(submitted_office__isnull=True, created_office_id=user.office_id)
        )
    if status in EnrollmentStatus.values:
        base = base.filter(status=status)
    return base.order_by("-status_changed_at", "-pk")


@scoped(Enrollment)
@login_required
def enrollment_list(request: AppRequest) -> HttpResponse:
    """Enrollments by status. An operator sees the office's submissions and what changed since the last
    visit; others see the enrollments of their area."""
    if request.method == "POST":  # the search box: its text kept in the session, a token in the URL
        return search_redirect(request, reverse("enrollments:list"), ["status", "all"])
    user = request.user
    operator = user.has_role(*OPERATORS) and user.office_id is not None
    area_view = operator and request.GET.get("all") == "1"
    own_office = operator and not area_view
    q = search_recall(request, request.GET.get("s", ""))
    base = enrollments_listed(user, all_of_area=request.GET.get("all") == "1", search=q)
    seen = user.submissions_seen_at
    counts = dict(base.order_by().values_list("status").annotate(n=Count("pk")))
    status = request.GET.get("status", "")
    items = enrollments_listed(user, all_of_area=request.GET.get("all") == "1", status=status, search=q)
    context = {
        **paginate(request, items, per_page=50),
        "statuses": [(value, label, counts.get(value, 0)) for value, label in EnrollmentStatus.choices],
        "total": sum(counts.values()),
        "status": status,
        "seen": seen,
        "own_office": own_office,
        "area_view": area_view,
        "keep": ("all=1&" if area_view else "") + (f"s={request.GET['s']}&" if q else ""),
        "q": q,
        **export_context(request, "enrollments", request.GET),
    }
    response = render(request, "members/enrollment_list.html", context)
    if own_office:
        user.submissions_seen_at = timezone.now()
        user.save(update_fields=["submissions_seen_at"])
    return response


def _queue(user: Any) -> QuerySet[Enrollment]:
    return _enrollments(user).pending().order_by("submitted_at", "pk")


def _queue_form(request: AppRequest, data: QueryDict) -> tuple[QueueFilterForm, QuerySet[Enrollment]]:
    pending = _queue(request.user)
    regency_codes = pending.order_by().values("member__regency").distinct()
    regencies = list(
        Regency.objects.filter(code__in=regency_codes).order_by("name").values_list("code", "name")
    )
    form = QueueFilterForm(data, pending=pending, regencies=regencies)
    return form, pending.filter(**form.filters())


@scoped(Enrollment)
@login_required
def enrollment_queue(request: AppRequest) -> HttpResponse:
    """Pending enrollments of the user's area, oldest first, with their waiting time."""
    form, pending = _queue_form(request, request.GET)
    overdue_days = settings.ENROLLMENT_QUEUE_OVERDUE_DAYS
    now = timezone.now()
    page = paginate(request, pending, per_page=50, cap=service.BULK_LIMIT)
    rows = [
        {"enrollment": e, "waiting_days": (now - e.submitted_at).days if e.submitted_at else 0}
        for e in page["page_obj"]
    ]
    return render(
        request,
        "members/enrollment_queue.html",
        {
            **page,
            "rows": rows,
            "form": form,
            "overdue_days": overdue_days,
            "overdue_count": pending.filter(submitted_at__lt=now - timedelta(days=overdue_days)).count(),
            "can_decide": request.user.has_role(*OFFICERS),
            "bulk_limit": service.BULK_LIMIT,
            "reasons": service.RejectionReason.CHOICES,
        },
    )


@scoped(Enrollment)
@role_required(*OFFICERS)
@require_POST
def enrollment_bulk(request: AppRequest) -> HttpResponse:
    form = BulkDecisionForm(request.POST)
    back = f"{reverse('enrollments:queue')}?{request.POST.get('filters', '')}"
    if not form.is_valid():
        _flash_errors(request, form)
        return redirect(back)
    data = form.cleaned_data
    if data["scope"] == "filtered":
        _form, pending = _queue_form(request, QueryDict(request.POST.get("filters", "")))
        ids = list(pending.values_list("pk", flat=True)[: service.BULK_LIMIT + 1])
    else:
        ids = data["ids"]
    if request.POST.get("confirmed") != "1":
        # Say what is about to happen, with the count, before thousands of decisions are made.
        pending = _queue(request.user).filter(pk__in=ids[: service.BULK_LIMIT])
        return render(
            request,
            "members/enrollment_bulk_confirm.html",
            {
                "count": min(len(ids), service.BULK_LIMIT + 1),
                "pending_count": pending.count(),
                "over_limit": len(ids) > service.BULK_LIMIT,
                "bulk_limit": service.BULK_LIMIT,
                "data": data,
                "decision_label": _("Approve") if data["decision"] == "approve" else _("Reject"),
                "reason_label": service.RejectionReason.label(data["reason"]) if data["reason"] else "",
                "post": request.POST,
                "ids": data["ids"] if data["scope"] == "selected" else [],
                "back": back,
            },
        )
    try:
        job = service.bulk_decisions_start(
            actor=request.user, ids=ids, decision=data["decision"], reason=data["reason"], note=data["note"]
        )
    except service.EnrollmentError as error:
        messages.error(request, str(error))
        return redirect(back)
    return redirect("jobs:detail", pk=job.pk)


def _detail(request: AppRequest, pk: int) -> Enrollment:
    try:
        return _enrollments(request.user).select_related("member__province", "member__cooperative").get(pk=pk)
    except Enrollment.DoesNotExist:
        raise Http404 from None


def _next_in_queue(request: AppRequest, after: Enrollment) -> str | None:
    """The next pending enrollment of the queue after `after` (oldest first), for deciding one by one."""
    pending = _queue(request.user).exclude(pk=after.pk)
    following = (
        pending.filter(
            Q(submitted_at__gt=after.submitted_at) | Q(submitted_at=after.submitted_at, pk__gt=after.pk)
        ).first()
        or pending.first()
    )
    return reverse("enrollments:detail", args=[following.pk]) if following else None


@scoped(Enrollment)
@login_required
def enrollment_detail(request: AppRequest, pk: int) -> HttpResponse:
    return _detail_page(request, _detail(request, pk))


def _detail_page(
    request: AppRequest,
    enrollment: Enrollment,
    *,
    approve_form: ApproveForm | None = None,
    reject_form: RejectForm | None = None,
    status: int = 200,
) -> HttpResponse:
    member = enrollment.member
    user = request.user
    decider = service.Decider(user) if user.has_role(*OFFICERS) else None
    can_decide = decider is not None and decider.problem(enrollment) is None
    flags = DuplicateFlag.objects.open_for(member).select_related(
        "first", "second", "first__regency", "second__regency"
    )
    duplicates = []
    for flag in flags:
        other = flag.second if flag.first_id == member.pk else flag.first
        visible = Member.objects.visible_to(user).filter(pk=other.pk).exists()
        duplicates.append({"flag": flag, "other": other, "visible": visible})
    return render(
        request,
        "members/enrollment_detail.html",
        {
            "enrollment": enrollment,
            "member": member,
            "duplicates": duplicates,
            "history": history_of(enrollment).order_by("-at")[:50],
            "earlier": member.enrollments.exclude(pk=enrollment.pk).order_by("-created_at")[:10],
            "can_decide": can_decide,
            "decide_problem": decider.problem(enrollment) if decider else None,
            "can_correct": user.has_role(*OPERATORS) and enrollment.is_open_for_correction,
            "submit_problems": service.submit_problems(enrollment)
            if enrollment.is_open_for_correction
            else [],
            "can_end": decider is not None
            and enrollment.status in service.ENDABLE
            and member.regency_id in decider.served,
            "approve_form": approve_form or ApproveForm(),
            "reject_form": reject_form or RejectForm(),
            "end_form": EndForm(initial={"ended_on": timezone.localdate()}),
            "rejection_label": service.RejectionReason.label(enrollment.rejection_reason),
            "waiting_days": (timezone.now() - enrollment.submitted_at).days
            if enrollment.submitted_at
            else None,
            "overdue_days": settings.ENROLLMENT_QUEUE_OVERDUE_DAYS,
            "next_url": _next_in_queue(request, enrollment) if can_decide else None,
            "valid_card": Card.objects.filter(enrollment=enrollment).valid().first(),
            "can_issue_card": user.has_role(Role.CARD_ADMIN)
            and Enrollment.objects.eligible().filter(pk=enrollment.pk).exists(),
            "decision_errors": [
                error
                for form in (approve_form, reject_form)
                if form is not None
                for error in form.non_field_errors()
            ],
        },
        status=status,
    )


@scoped(Enrollment)
@role_required(*OFFICERS)
@require_POST
def enrollment_decide(request: AppRequest, pk: int) -> HttpResponse:
    enrollment = _detail(request, pk)
    decision = request.POST.get("decision")
    if decision not in {"approve", "reject"}:
        return HttpResponseBadRequest()
    approve_form = ApproveForm(request.POST) if decision == "approve" else None
    reject_form = RejectForm(request.POST) if decision == "reject" else None
    form: ApproveForm | RejectForm = approve_form or reject_form  # type: ignore[assignment]
    # A refused decision shows the page again with what the officer typed and the message by its field.
    if not form.is_valid():
        return _detail_page(
            request, enrollment, approve_form=approve_form, reject_form=reject_form, status=400
        )
    try:
        if approve_form is not None:
            decided = service.enrollment_approve(
                enrollment=enrollment,
                actor=request.user,
                kpj=form.cleaned_data["kpj"],
                coverage_start=form.cleaned_data["coverage_start"],
            )
            messages.success(
                request,
                _("Approved: %(name)s, KPJ number %(kpj)s, cover from %(start)s.")
                % {
                    "name": decided.member.full_name,
                    "kpj": decided.member.kpj_number,
                    "start": decided.coverage_start.strftime("%d/%m/%Y") if decided.coverage_start else "",
                },
            )
        else:
            decided = service.enrollment_reject(
                enrollment=enrollment,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
            messages.success(request, _("Rejected: %(name)s.") % {"name": decided.member.full_name})
    except service.EnrollmentError as error:
        form.add_error(None, str(error))
        enrollment = _detail(request, enrollment.pk)  # as it is now (someone may have decided it)
        status = 409 if enrollment.status != EnrollmentStatus.SUBMITTED else 400
        return _detail_page(
            request, enrollment, approve_form=approve_form, reject_form=reject_form, status=status
        )
    following = _next_in_queue(request, enrollment) if request.POST.get("then") == "next" else None
    return redirect(following or reverse("enrollments:detail", args=[pk]))


@scoped(Enrollment)
@role_required(*OFFICERS)
@require_POST
def enrollment_end(request: AppRequest, pk: int) -> HttpResponse:
    enrollment = _detail(request, pk)
    form = EndForm(request.POST)
    if not form.is_valid():
        _flash_errors(request, form)
        return redirect("enrollments:detail", pk=pk)
    try:
        service.enrollment_end(
            enrollment=enrollment,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            ended_on=form.cleaned_data["ended_on"],
            note=form.cleaned_data["note"],
        )
    except service.EnrollmentError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The enrollment has ended."))
    return redirect("enrollments:detail", pk=pk)


@scoped(Enrollment)
@role_required(*OPERATORS)
@require_POST
def enrollment_submit(request: AppRequest, pk: int) -> HttpResponse:
    enrollment = _detail(request, pk)
    try:
        service.enrollment_submit(enrollment=enrollment, actor=request.user)
    except service.EnrollmentError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Submitted to the BPJAMSOSTEK branch for a decision."))
    return redirect("enrollments:detail", pk=pk)


def _form_page(request: AppRequest, member: Member, enrollment: Enrollment | None) -> HttpResponse:
    form = EnrollmentForm(
        request.POST or None,
        member=member,
        instance=enrollment,
        initial={} if enrollment else {"kind": member.kind},
    )
    if request.method == "POST" and form.is_valid():
        submit = request.POST.get("then") == "submit"
        try:
            if enrollment is None:
                saved = service.enrollment_create(
                    member=member, data=form.service_data(), actor=request.user, submit=submit
                )
            else:
                saved = service.enrollment_update(
                    enrollment=enrollment,
                    data=form.service_data(),
                    actor=request.user,
                    expected_version=form.cleaned_data.get("version") or 0,
                )
                if submit:
                    saved = service.enrollment_submit(enrollment=saved, actor=request.user)
        except service.EnrollmentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Submitted to the BPJAMSOSTEK branch for a decision.")
                if submit
                else _("Saved as a draft."),
            )
            return redirect("enrollments:detail", pk=saved.pk)
    return render(
        request,
        "members/enrollment_form.html",
        {
            "form": form,
            "member": member,
            "enrollment": enrollment,
            "problems": service.submit_problems(enrollment or Enrollment(member=member, kind=member.kind)),
            "duplicate_count": DuplicateFlag.objects.open_for(member).count(),
        },
    )


@scoped(Member)
@role_required(*OPERATORS)
def enrollment_create(request: AppRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(Member.objects.visible_to(request.user).current(), pk=pk)
    existing = member.enrollments.exclude(status=EnrollmentStatus.ENDED).first()
    if existing is not None:
        messages.info(request, _("This person already has an enrollment that has not ended."))
        return redirect("enrollments:detail", pk=existing.pk)
    return _form_page(request, member, None)


@scoped(Enrollment)
@role_required(*OPERATORS)
def enrollment_edit(request: AppRequest, pk: int) -> HttpResponse:
    enrollment = _detail(request, pk)
    if not enrollment.is_open_for_correction:
        messages.error(request, _("Only a draft or a rejected enrollment can be changed."))
        return redirect("enrollments:detail", pk=pk)
    return _form_page(request, enrollment.member, enrollment)
