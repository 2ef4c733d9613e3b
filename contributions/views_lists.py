"""Bills and payments across the enrollments of the user's area: scoped, filtered, searchable, paginated
lists (each exportable, see contributions/list_exports.py).

The search box is posted and kept in the session (umkm_enroll/web/searches.py): the list's URL carries a
token, never the name, NIK or phone typed."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import F, Q, QuerySet
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from members.models import ParticipantKind, Payer
from members.selectors import filter_by_person
from umkm_enroll.accounts.access import scoped
from umkm_enroll.accounts.scoping import scope_of
from umkm_enroll.exports.registry import Selection
from umkm_enroll.exports.views import export_context
from umkm_enroll.regions.models import Regency
from umkm_enroll.web.http import AppRequest
from umkm_enroll.web.listing import paginate
from umkm_enroll.web.searches import search_recall, search_redirect

from .models import Bill, Payment, SponsorProgramme

ALL = gettext_lazy("All")
BILL_STATES = [
    ("open", gettext_lazy("Not fully paid")),
    ("overdue", gettext_lazy("Overdue (due date passed, not fully paid)")),
    ("paid", gettext_lazy("Paid")),
]


class ScopedFilterForm(forms.Form):
    """Filters shared by the bill and payment lists, their choices limited to the user's scope."""

    regency = forms.ChoiceField(label=gettext_lazy("Regency/city"), required=False)
    payer = forms.ChoiceField(
        label=gettext_lazy("Payer"), choices=[("", ALL), *Payer.choices], required=False
    )
    programme = forms.ModelChoiceField(
        label=gettext_lazy("Sponsor programme"), queryset=SponsorProgramme.objects.none(), required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scope = scope_of(user)
        regencies = Regency.objects.order_by("name")
        if not scope.everything:
            regencies = regencies.filter(code__in=sorted(scope.regency_codes))
        regency: Any = self.fields["regency"]
        regency.choices = [("", ALL), *regencies.values_list("code", "name")]
        programme: Any = self.fields["programme"]
        programme.queryset = SponsorProgramme.objects.visible_to(user).order_by("name")
        programme.empty_label = ALL

    def filters(self) -> dict[str, Any]:
        """The valid filters as plain values (an invalid one shows its error and is ignored)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        plain: dict[str, Any] = {}
        for name in self.fields:
            value = data.get(name)
            if isinstance(value, SponsorProgramme):
                value = value.pk
            elif isinstance(value, date):
                value = value.isoformat()
            plain[name] = value if value not in (None, "") else ""
        return plain


class BillFilterForm(ScopedFilterForm):
    month = forms.DateField(
        label=gettext_lazy("Contribution month"),
        required=False,
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    state = forms.ChoiceField(
        label=gettext_lazy("Payment state"), choices=[("", ALL), *BILL_STATES], required=False
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Participant kind"), choices=[("", ALL), *ParticipantKind.choices], required=False
    )


class PaymentFilterForm(ScopedFilterForm):
    received_from = forms.DateField(
        label=gettext_lazy("Received from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    received_to = forms.DateField(
        label=gettext_lazy("Received until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    source = forms.ChoiceField(
        label=gettext_lazy("Source"), choices=[("", ALL), *Payment.Source.choices], required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("received_from"), data.get("received_to")
        if first and last and last < first:
            # Said, and both ignored: a silent "0 results" reads as "no payments".
            self.add_error("received_to", gettext_lazy("The end date comes before the start date."))
            data.pop("received_from", None)
        return data


def _errors(form: forms.Form) -> tuple[str, ...]:
    return tuple(str(error) for errors in form.errors.values() for error in errors)


def _selection(request: Any, params: QueryDict, form_class: type[ScopedFilterForm]) -> Selection:
    form = form_class(params, user=request.user)
    filters = form.filters()
    return Selection(
        filters=filters, search=search_recall(request, params.get("s", "")), errors=_errors(form)
    )


def bills_selection(request: Any, params: QueryDict) -> Selection:
    return _selection(request, params, BillFilterForm)


def payments_selection(request: Any, params: QueryDict) -> Selection:
    return _selection(request, params, PaymentFilterForm)


def bills_rows(user: Any, selection: Selection, today: date) -> QuerySet[Bill]:
    """Bills of the user's area with the list's filters and search, newest month first."""
    f = selection.filters
    rows: QuerySet[Bill] = Bill.objects.visible_to(user)
    if f.get("regency"):
        rows = rows.filter(enrollment__member__regency_id=f["regency"])
    if f.get("payer"):
        rows = rows.filter(payer=f["payer"])
    if f.get("programme"):
        rows = rows.filter(sponsor_programme_id=f["programme"])
    if f.get("month"):
        rows = rows.filter(month=f["month"])
    if f.get("kind"):
        rows = rows.filter(enrollment__kind=f["kind"])
    state = f.get("state")
    if state == "open":
        rows = rows.filter(paid__lt=F("amount"))
    elif state == "overdue":
        rows = rows.filter(paid__lt=F("amount"), due_date__lt=today)
    elif state == "paid":
        rows = rows.filter(paid=F("amount"))
    if selection.search.strip():
        rows = filter_by_person(rows, selection.search, prefix="enrollment__member__")
    return rows.order_by("-month", "-pk")


def payments_rows(user: Any, selection: Selection, today: date) -> QuerySet[Payment]:
    """Payments of the user's area (enrollments' and sponsor programmes') with the list's filters and
    search (a payment reference, or the person), most recently received first."""
    f = selection.filters
    rows = Payment.objects.visible_to(user)
    if f.get("regency"):
        rows = rows.filter(
            Q(enrollment__member__regency_id=f["regency"]) | Q(sponsor_programme__regency_id=f["regency"])
        )
    if f.get("payer"):
        rows = rows.filter(payer=f["payer"])
    if f.get("programme"):
        rows = rows.filter(
            Q(sponsor_programme_id=f["programme"]) | Q(enrollment__sponsor_programme_id=f["programme"])
        )
    if f.get("received_from"):
        rows = rows.filter(received_on__gte=f["received_from"])
    if f.get("received_to"):
        rows = rows.filter(received_on__lte=f["received_to"])
    if f.get("source"):
        rows = rows.filter(source=f["source"])
    q = selection.search.strip()
    if q:
        people = filter_by_person(Payment.objects.all(), q, prefix="enrollment__member__")
        # References are stored in capitals (contributions.payments).
        rows = rows.filter(Q(reference=q.upper()) | Q(pk__in=people.values("pk")))
    return rows.order_by("-received_on", "-pk")


def _list(
    request: AppRequest,
    *,
    url_name: str,
    form_class: type[ScopedFilterForm],
    export: str,
    rows_of: Any,
    template: str,
    related: tuple[str, ...],
) -> HttpResponse:
    if request.method == "POST":
        # The search box is posted: keep its text in the session, put a token in the URL.
        return search_redirect(request, reverse(url_name), form_class.base_fields)
    form = form_class(request.GET, user=request.user)
    filters = form.filters()
    q = search_recall(request, request.GET.get("s", ""))
    today = timezone.localdate()
    rows = rows_of(request.user, Selection(filters=filters, search=q), today).select_related(*related)
    return render(
        request,
        template,
        {
            **paginate(request, rows, per_page=50),
            "form": form,
            "q": q,
            "today": today,
            **export_context(request, export, request.GET),
        },
    )


@scoped(Bill)
@login_required
def bill_list(request: AppRequest) -> HttpResponse:
    """Bills of the user's area: by month, payer, programme, regency and payment state; search by person."""
    return _list(
        request,
        url_name="contributions:bill_list",
        form_class=BillFilterForm,
        export="bills",
        rows_of=bills_rows,
        template="contributions/bill_list.html",
        related=("enrollment__member__regency", "sponsor_programme"),
    )


@scoped(Payment)
@login_required
def payment_list(request: AppRequest) -> HttpResponse:
    """Payments received in the user's area: by date, source, payer, programme and regency; search by
    reference or person."""
    return _list(
        request,
        url_name="contributions:payment_list",
        form_class=PaymentFilterForm,
        export="payments",
        rows_of=payments_rows,
        template="contributions/payment_list.html",
        related=("enrollment__member__regency", "sponsor_programme", "reverses"),
    )
