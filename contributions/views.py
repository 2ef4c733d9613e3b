"""Contribution pages of one enrollment: the statement (bills, payments, balance, cover status) and the
finance officer's actions on it (record a payment, reverse one)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Min, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from members.models import Enrollment
from umkm_enroll.accounts.access import national, role_required, scoped
from umkm_enroll.accounts.models import Role
from umkm_enroll.web.fields import RupiahField
from umkm_enroll.web.http import AppRequest
from umkm_enroll.web.listing import paginate

from . import arrears, tasks
from .models import Bill, BillingRun, Payment
from .payments import PaymentError, credit_held, participant_payers, payment_record
from .payments import payment_reverse as reverse_payment

FINANCE = (Role.FINANCE,)


class PaymentForm(forms.Form):
    reference = forms.CharField(
        label=gettext_lazy("Reference"),
        max_length=100,
        help_text=gettext_lazy("The transaction number on the receipt or the bank statement."),
    )
    amount = RupiahField(label=gettext_lazy("Amount (Rp)"), min_value=1, max_value=10**12)
    received_on = forms.DateField(
        label=gettext_lazy("Received on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    payer = forms.ChoiceField(label=gettext_lazy("Paid by"))
    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, enrollment: Enrollment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        payer: Any = self.fields["payer"]
        labels = dict(Enrollment._meta.get_field("payer").flatchoices)
        # Only who the bills are made out to: another payer's money would pay no bill.
        payers = participant_payers(enrollment)
        payer.choices = [(value, labels[value]) for value in payers]
        payer.initial = enrollment.payer if enrollment.payer in payers else (payers[0] if payers else "")
        self.fields["received_on"].initial = timezone.localdate()

    def clean_received_on(self):
        day = self.cleaned_data["received_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("A payment cannot be received in the future."))
        return day


class ReverseForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why"), max_length=300)


def _enrollment(request: AppRequest, pk: int) -> Enrollment:
    try:
        return (
            Enrollment.objects.visible_to(request.user)
            .select_related("member", "member__regency", "sponsor_programme")
            .get(pk=pk)
        )
    except Enrollment.DoesNotExist:
        raise Http404 from None


def _statement(
    request: AppRequest, enrollment: Enrollment, form: PaymentForm | None = None, status: int = 200
):
    today = timezone.localdate()
    bills = Bill.objects.filter(enrollment=enrollment).select_related("sponsor_programme", "enrollment")
    totals = bills.aggregate(amount=Sum("amount"), paid=Sum("paid"))
    due = bills.filter(due_date__lt=today).aggregate(amount=Sum("amount"), paid=Sum("paid"))
    # Who owes what: a sponsored participant's arrears are partly the sponsor's.
    owed_by = [
        {"payer": Bill(payer=row["payer"]).payer_label, "owed": row["amount"] - row["paid"]}
        for row in bills.filter(due_date__lt=today)
        .order_by("payer")
        .values("payer")
        .annotate(amount=Sum("amount"), paid=Sum("paid"))
        if row["amount"] > row["paid"]
    ]
    payments = (
        Payment.objects.filter(enrollment=enrollment)
        .annotate(allocated=Sum("allocations__amount"))
        .select_related("reverses", "recorded_by")
        .order_by("-received_on", "-id")
    )
    credit = credit_held(enrollment=enrollment)
    page = paginate(request, bills.order_by("-month", "payer"), per_page=24)
    rows = [
        {"bill": bill, "late_fee": arrears.late_fee_of(bill, today), "overdue": bill.due_date < today}
        for bill in page["page_obj"]
    ]
    reversed_ids = set(
        Payment.objects.filter(reverses__enrollment=enrollment).values_list("reverses_id", flat=True)
    )
    context = {
        **page,
        "enrollment": enrollment,
        "member": enrollment.member,
        "rows": rows,
        "billed": totals["amount"] or 0,
        "paid": totals["paid"] or 0,
        "arrears": (due["amount"] or 0) - (due["paid"] or 0),
        "owed_by": owed_by,
        "late_fees": sum(arrears.late_fee_of(b, today) for b in bills.open().filter(due_date__lt=today)),
        "credit": credit,
        "payments": payments[:100],
        "reversed_ids": reversed_ids,
        "can_record": request.user.has_role(*FINANCE),
        "form": form or PaymentForm(enrollment=enrollment),
        "reverse_form": ReverseForm(),
    }
    return render(request, "contributions/statement.html", context, status=status)


@scoped(Enrollment)
@login_required
def statement(request: AppRequest, pk: int) -> HttpResponse:
    return _statement(request, _enrollment(request, pk))


@scoped(Enrollment)
@role_required(*FINANCE)
@require_http_methods(["GET", "POST"])
def payment_create(request: AppRequest, pk: int) -> HttpResponse:
    enrollment = _enrollment(request, pk)
    if request.method == "GET":  # the address a refused payment left in the bar, opened again
        return redirect(f"{reverse('contributions:statement', args=[enrollment.pk])}#record")
    form = PaymentForm(request.POST, enrollment=enrollment)
    if not form.is_valid():
        return _statement(request, enrollment, form, status=400)
    data = form.cleaned_data
    try:
        recorded = payment_record(
            reference=data["reference"],
            amount=data["amount"],
            received_on=data["received_on"],
            actor=request.user,
            enrollment=enrollment,
            payer=data["payer"],
            note=data["note"],
        )
    except PaymentError as error:
        form.add_error(None, str(error))
        return _statement(request, enrollment, form, status=400)
    amount = f"{recorded.payment.amount:,}".replace(",", ".")
    if not recorded.created:
        messages.info(
            request,
            _("The payment %(reference)s was already recorded; nothing was added.")
            % {"reference": recorded.payment.reference},
        )
    else:
        messages.success(
            request,
            _("Payment %(reference)s of Rp %(amount)s recorded.")
            % {"reference": recorded.payment.reference, "amount": amount},
        )
    return redirect("contributions:statement", pk=enrollment.pk)


@scoped(Payment)
@role_required(*FINANCE)
@require_POST
def payment_reverse(request: AppRequest, pk: int) -> HttpResponse:
    payment = get_object_or_404(Payment.objects.visible_to(request.user), pk=pk)
    form = ReverseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the payment is reversed."))
    else:
        try:
            reverse_payment(payment=payment, actor=request.user, reason=form.cleaned_data["reason"])
        except PaymentError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Payment %(reference)s reversed.") % {"reference": payment.reference})
    if payment.enrollment_id:
        return redirect("contributions:statement", pk=payment.enrollment_id)
    return redirect("contributions:programme_detail", pk=payment.sponsor_programme_id)


class RunForm(forms.Form):
    month = forms.CharField(
        label=gettext_lazy("Contribution month"),
        widget=forms.DateInput(attrs={"type": "month"}),
        help_text=gettext_lazy("Running a month again bills only what is missing."),
    )

    def clean_month(self):
        value = self.cleaned_data["month"]
        try:
            month = date.fromisoformat(f"{value}-01")
        except ValueError:
            raise forms.ValidationError(_("Choose a month (year and month).")) from None
        if month > timezone.localdate().replace(day=1):
            raise forms.ValidationError(_("A month that has not started cannot be billed."))
        first = Enrollment.objects.aggregate(first=Min("coverage_start"))["first"]
        if first is None or month < first.replace(day=1):
            raise forms.ValidationError(
                _("No enrollment had cover in that month: the earliest cover starts in %(first)s.")
                % {"first": f"{first:%m/%Y}" if first else "—"}
            )
        return month


@national
@role_required(Role.ADMINISTRATOR)
def billing_runs(request: AppRequest) -> HttpResponse:
    """The monthly runs (Celery beat starts one on the 1st); an administrator can run a month by hand."""
    form = RunForm(request.POST or None, initial={"month": f"{timezone.localdate():%Y-%m}"})
    if request.method == "POST" and form.is_valid():
        month = form.cleaned_data["month"]
        tasks.run_month.delay(month.isoformat(), request.user.pk)
        messages.success(
            request,
            _("The run for %(month)s has started; it appears below when done.") % {"month": f"{month:%m/%Y}"},
        )
        return redirect("contributions:billing_runs")
    runs = BillingRun.objects.select_related("started_by")
    return render(
        request, "contributions/billing_runs.html", {**paginate(request, runs, per_page=50), "form": form}
    )
