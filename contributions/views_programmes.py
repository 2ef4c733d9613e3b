"""Sponsor programme pages: the list and a programme's page (participants, months, payments received),
recording a sponsor's payment, creating and editing a programme, the monthly invoice as PDF, and the
totals of the user's area by payer, programme and submitting office.

Money figures of a programme (billed, paid, open) are the programme's own: a programme the user sees
belongs to the user's area, bills and all. Lists of people (participants, invoice lines) also pass
through the people's scope, so a page never names someone outside the user's area.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import (
    BigIntegerField,
    Count,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members.models import Enrollment, EnrollmentStatus, Payer
from members.names import normalize_name
from umkm_enroll.accounts.access import no_data, role_required, scoped
from umkm_enroll.accounts.models import Role, User
from umkm_enroll.audit.services import history_of
from umkm_enroll.web.http import AppRequest
from umkm_enroll.web.listing import paginate
from umkm_enroll.web.searches import search_recall, search_redirect

from . import invoices, invoicing
from .forms_programmes import ProgrammeForm, SponsorPaymentForm, parse_month
from .models import Bill, Payment, SponsorProgramme
from .payments import PaymentError, credit_held, payment_record
from .programmes import ProgrammeError, programme_create, programme_update
from .views import ReverseForm

FINANCE = (Role.FINANCE,)
EDITORS = (Role.FINANCE, Role.ADMINISTRATOR)
INVOICE_READERS = (Role.FINANCE, Role.ADMINISTRATOR)
TOTALS_READERS = (Role.FINANCE, Role.ADMINISTRATOR, Role.NATIONAL_VIEWER)
# Who counts as a participant of a programme: everyone enrolled or being enrolled under it, not an
# unfinished draft and not a rejected request.
NOT_PARTICIPANTS = [EnrollmentStatus.DRAFT, EnrollmentStatus.REJECTED]


# Reads.


def _bill_sum(field: str) -> Coalesce:
    """The sum of `field` over a programme's bills, as a correlated subquery (joining bills and
    enrollments in one GROUP BY would multiply the rows)."""
    totals = (
        Bill.objects.filter(sponsor_programme=OuterRef("pk"))
        .order_by()
        .values("sponsor_programme")
        .annotate(total=Sum(field))
        .values("total")
    )
    return Coalesce(
        Subquery(totals, output_field=BigIntegerField()), Value(0), output_field=BigIntegerField()
    )


def programmes_for(user: User, *, q: str = "") -> QuerySet[SponsorProgramme]:
    """The programmes the user sees, with participants and money: one query, whatever the page size."""
    participants = (
        Enrollment.objects.filter(sponsor_programme=OuterRef("pk"))
        .exclude(status__in=NOT_PARTICIPANTS)
        .order_by()
        .values("sponsor_programme")
        .annotate(n=Count("pk"))
        .values("n")
    )
    programmes = (
        SponsorProgramme.objects.visible_to(user)
        .select_related("province", "regency")
        .annotate(
            participants=Coalesce(Subquery(participants, output_field=IntegerField()), Value(0)),
            billed=_bill_sum("amount"),
            paid=_bill_sum("paid"),
        )
        .annotate(open=F("billed") - F("paid"))
    )
    if q:
        programmes = programmes.filter(Q(name__icontains=q) | Q(sponsor__icontains=q))
    return programmes.order_by("-first_month", "name", "pk")


def months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


def _programme(request: AppRequest, pk: int) -> SponsorProgramme:
    return get_object_or_404(
        SponsorProgramme.objects.visible_to(request.user).select_related("province", "regency"), pk=pk
    )


def _participants(request: AppRequest, programme: SponsorProgramme, q: str) -> QuerySet[Enrollment]:
    enrollments = (
        Enrollment.objects.visible_to(request.user)
        .filter(sponsor_programme=programme)
        .exclude(status__in=NOT_PARTICIPANTS)
        .select_related("member", "member__regency")
    )
    if q:
        enrollments = enrollments.filter(
            Q(member__name_search__contains=normalize_name(q)) | Q(member__kpj_number=q.strip())
        )
    return enrollments.order_by("member__name_search", "pk")


@scoped(SponsorProgramme)
@login_required
def programme_list(request: AppRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    page = paginate(request, programmes_for(request.user, q=q), per_page=30)
    rows = [{"programme": p, "months": months_between(p.first_month, p.last_month)} for p in page["page_obj"]]
    return render(
        request,
        "contributions/programme_list.html",
        {
            **page,
            "rows": rows,
            "q": q,
            "can_create": request.user.has_role(*EDITORS),
            "can_see_totals": request.user.has_role(*TOTALS_READERS),
        },
    )


def _detail_page(
    request: AppRequest,
    programme: SponsorProgramme,
    form: SponsorPaymentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    bills = Bill.objects.filter(sponsor_programme=programme)
    totals = bills.aggregate(
        count=Count("pk"),
        billed=Coalesce(Sum("amount"), 0),
        paid=Coalesce(Sum("paid"), 0),
    )
    months = (
        bills.order_by()
        .values("month")
        .annotate(count=Count("pk"), billed=Sum("amount"), paid=Sum("paid"))
        .annotate(open=F("billed") - F("paid"))
        .order_by("-month")
    )
    q = search_recall(request, request.GET.get("s", ""))
    participants = _participants(request, programme, q)
    payments = (
        Payment.objects.filter(sponsor_programme=programme)
        .annotate(allocated=Sum("allocations__amount"))
        .select_related("reverses", "recorded_by")
        .order_by("-received_on", "-id")
    )
    reversed_ids = set(
        Payment.objects.filter(reverses__sponsor_programme=programme).values_list("reverses_id", flat=True)
    )
    participant_count = (
        Enrollment.objects.filter(sponsor_programme=programme).exclude(status__in=NOT_PARTICIPANTS).count()
    )
    context = {
        **paginate(request, participants, per_page=50),
        "programme": programme,
        "months_covered": months_between(programme.first_month, programme.last_month),
        "participant_count": participant_count,
        "bill_count": totals["count"],
        "billed": totals["billed"],
        "paid": totals["paid"],
        "open": totals["billed"] - totals["paid"],
        "budget_left": programme.budget - totals["billed"] if programme.budget is not None else None,
        "credit": credit_held(programme=programme),
        "months": months,
        "payments": payments[:100],
        "payment_count": payments.count(),
        "reversed_ids": reversed_ids,
        "q": q,
        "can_record": user.has_role(*FINANCE),
        "can_edit": user.has_role(*EDITORS),
        "can_invoice": user.has_role(*INVOICE_READERS),
        "form": form or SponsorPaymentForm(),
        "reverse_form": ReverseForm(),
        "history": history_of(programme).order_by("-at")[:20] if user.has_role(*EDITORS) else [],
    }
    return render(request, "contributions/programme_detail.html", context, status=status)


@scoped(SponsorProgramme)
@login_required
def programme_detail(request: AppRequest, pk: int) -> HttpResponse:
    programme = _programme(request, pk)
    if request.method == "POST":  # the participants' search box (its text kept in the session)
        return search_redirect(
            request, reverse("contributions:programme_detail", args=[programme.pk]), anchor="#participants"
        )
    return _detail_page(request, programme)


@scoped(SponsorProgramme)
@role_required(*FINANCE)
@require_POST
def programme_payment(request: AppRequest, pk: int) -> HttpResponse:
    programme = _programme(request, pk)
    form = SponsorPaymentForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, programme, form, status=400)
    data = form.cleaned_data
    try:
        recorded = payment_record(
            reference=data["reference"],
            amount=data["amount"],
            received_on=data["received_on"],
            actor=request.user,
            programme=programme,
            payer=Payer.SPONSOR,
            note=data["note"],
        )
    except PaymentError as error:
        form.add_error(None, str(error))
        return _detail_page(request, programme, form, status=400)
    if not recorded.created:
        messages.info(
            request,
            _("The payment %(reference)s was already recorded; nothing was added.")
            % {"reference": recorded.payment.reference},
        )
    else:
        messages.success(
            request,
            _("Sponsor payment %(reference)s of %(amount)s recorded: %(allocated)s applied to bills.")
            % {
                "reference": recorded.payment.reference,
                "amount": invoices.rupiah(recorded.payment.amount),
                "allocated": invoices.rupiah(recorded.allocated),
            },
        )
    return redirect("contributions:programme_detail", pk=programme.pk)


def _form_page(request: AppRequest, form: ProgrammeForm, programme: SponsorProgramme | None) -> HttpResponse:
    if request.POST.get("refresh"):
        form.errors.clear()
    status = 400 if request.method == "POST" and form.errors else 200
    return render(
        request, "contributions/programme_form.html", {"form": form, "programme": programme}, status=status
    )


def _saving(request: AppRequest) -> bool:
    """A POST that saves (not the no-script button that only reloads the regency choices)."""
    return request.method == "POST" and not request.POST.get("refresh")


# The empty form holds no region's records (as cooperatives' create page).
@no_data
@role_required(*EDITORS)
def programme_create_view(request: AppRequest) -> HttpResponse:
    form = ProgrammeForm(request.POST or None, user=request.user)
    if _saving(request) and form.is_valid():
        try:
            programme = programme_create(data=form.programme_data(), actor=request.user)
        except ProgrammeError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Programme “%(name)s” created.") % {"name": programme.name})
            return redirect("contributions:programme_detail", pk=programme.pk)
    return _form_page(request, form, None)


@scoped(SponsorProgramme)
@role_required(*EDITORS)
def programme_edit(request: AppRequest, pk: int) -> HttpResponse:
    programme = _programme(request, pk)
    # The form validates into its own copy, so the page keeps showing the saved name on errors.
    editing = SponsorProgramme.objects.get(pk=programme.pk)
    form = ProgrammeForm(request.POST or None, instance=editing, user=request.user)
    if _saving(request) and form.is_valid():
        try:
            programme_update(programme=programme, data=form.programme_data(), actor=request.user)
        except ProgrammeError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Programme “%(name)s” saved.") % {"name": editing.name})
            return redirect("contributions:programme_detail", pk=programme.pk)
    return _form_page(request, form, programme)


def _invoice_month(request: AppRequest, programme: SponsorProgramme) -> date | None:
    """The month asked for, or the latest billed one (before any bill: the current month within the
    programme's run). None for a value that is not a month."""
    asked = request.GET.get("bulan", "").strip()
    if asked:
        month = parse_month(asked)
        # A month the programme does not cover has no invoice.
        if month is None or not programme.first_month <= month <= programme.last_month:
            return None
        return month
    latest = Bill.objects.filter(sponsor_programme=programme).aggregate(latest=Max("month"))["latest"]
    if latest:
        return latest
    today = timezone.localdate().replace(day=1)
    return min(max(today, programme.first_month), programme.last_month)


@scoped(SponsorProgramme)
@role_required(*INVOICE_READERS)
def programme_invoice(request: AppRequest, pk: int) -> HttpResponse:
    """The invoice of a month: the PDF itself when the month has few bills; for more, a page that has it
    made in the background (POST) and offers the user's latest one still kept."""
    programme = _programme(request, pk)
    month = _invoice_month(request, programme)
    back = reverse("contributions:programme_detail", args=[programme.pk])
    if month is None:
        messages.error(
            request,
            _("There is no invoice for that month: choose a month from %(first)s to %(last)s.")
            % {"first": f"{programme.first_month:%m/%Y}", "last": f"{programme.last_month:%m/%Y}"},
        )
        return redirect(back)
    bills = invoicing.bills_of(request.user, programme, month).count()
    if not bills:  # an invoice of Rp 0 asking for a transfer would mislead
        messages.info(
            request,
            _("The programme has no bills for %(month)s yet: the monthly run makes them.")
            % {"month": f"{month:%m/%Y}"},
        )
        return redirect(back)
    if bills > invoicing.direct_limit():
        if request.method == "POST":
            job = invoicing.invoice_job(actor=request.user, programme=programme, month=month, bills=bills)
            return redirect("jobs:detail", pk=job.pk)
        return render(
            request,
            "contributions/programme_invoice.html",
            {
                "programme": programme,
                "month": month,
                "bills": bills,
                "latest": invoicing.latest_file_job(actor=request.user, programme=programme, month=month),
            },
        )
    pdf, _count = invoicing.invoice_pdf(actor=request.user, programme=programme, month=month)
    return _pdf_response(pdf, invoices.invoice_filename(programme.pk, month))


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


PAYER_ORDER = [Payer.SELF, Payer.EMPLOYER, Payer.SPONSOR, Payer.BANK, Payer.COOPERATIVE]


def _money(rows: Any) -> Any:
    return rows.annotate(count=Count("pk"), billed=Sum("amount"), paid=Sum("paid")).annotate(
        open=F("billed") - F("paid")
    )


def _sum_rows(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {key: sum(row[key] or 0 for row in rows) for key in ("count", "billed", "paid", "open")}


def _programme_total(user: User, month: date | None) -> dict[str, int]:
    bills = Bill.objects.filter(sponsor_programme__in=SponsorProgramme.objects.visible_to(user).values("pk"))
    if month is not None:
        bills = bills.filter(month=month)
    total = bills.aggregate(
        count=Count("pk"), billed=Coalesce(Sum("amount"), 0), paid=Coalesce(Sum("paid"), 0)
    )
    return {**total, "open": total["billed"] - total["paid"]}


@scoped(SponsorProgramme)
@role_required(*TOTALS_READERS)
def totals(request: AppRequest) -> HttpResponse:
    """Billed, paid and open of the user's area by payer and by submitting office (the bills of the
    area's participants), and by the area's sponsor programmes (their bills): one query per table."""
    asked = request.GET.get("bulan", "").strip()
    month = parse_month(asked) if asked else None
    month_error = bool(asked) and month is None
    bills = Bill.objects.visible_to(request.user).order_by()
    if month is not None:
        bills = bills.filter(month=month)
    by_payer = {row["payer"]: row for row in _money(bills.values("payer"))}
    labels = dict(Payer.choices)
    payer_rows = [
        {"label": labels.get(code, code), "code": code, **by_payer[code]}
        for code in [*PAYER_ORDER, *sorted(set(by_payer) - set(PAYER_ORDER))]
        if code in by_payer
    ]
    office_rows = list(
        _money(bills.values("enrollment__submitted_office", "enrollment__submitted_office__name")).order_by(
            "enrollment__submitted_office__name"
        )
    )
    in_month = Q(bills__month=month) if month is not None else Q()
    programmes = (
        SponsorProgramme.objects.visible_to(request.user)
        .select_related("province", "regency")
        .annotate(
            count=Count("bills", filter=in_month),
            billed=Coalesce(Sum("bills__amount", filter=in_month), 0),
            paid=Coalesce(Sum("bills__paid", filter=in_month), 0),
        )
        .annotate(open=F("billed") - F("paid"))
        .order_by("name", "pk")
    )
    return render(
        request,
        "contributions/totals.html",
        {
            **paginate(request, programmes, per_page=50),
            "month": month,
            "asked": asked,
            "month_error": month_error,
            "payer_rows": payer_rows,
            "payer_total": _sum_rows(payer_rows),
            "office_rows": office_rows,
            "office_total": _sum_rows(office_rows),
            "programme_total": _programme_total(request.user, month),
        },
    )
