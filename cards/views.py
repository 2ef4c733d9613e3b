"""Card pages: the public verification of a scanned QR code (HTML and JSON, rate-limited), the published
public key, and the card admin's card page with its lifecycle actions."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from members.models import Enrollment, EnrollmentStatus
from umkm_enroll.accounts.access import public, role_required, scoped
from umkm_enroll.accounts.models import Role
from umkm_enroll.audit.masking import mask_name
from umkm_enroll.web.http import AppRequest

from . import services, signing
from .models import Card

CARD_ADMINS = (Role.CARD_ADMIN,)


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _rate_limited(request: HttpRequest) -> bool:
    """At most VERIFY_RATE_LIMIT_PER_MINUTE verifications a minute from one address."""
    key = f"verify-rate:{_client_ip(request)}:{int(timezone.now().timestamp() // 60)}"
    cache.add(key, 0, timeout=120)
    return cache.incr(key) > settings.VERIFY_RATE_LIMIT_PER_MINUTE


def public_name(full_name: str) -> str:
    """'Baiq Nurul Aini' -> 'Baiq N*** A***': enough to match the card in hand, not to find the person."""
    first, _sep, rest = full_name.partition(" ")
    return f"{first} {mask_name(rest)}".strip()


def cover_active(enrollment: Enrollment, today: date) -> bool:
    return enrollment.status in {EnrollmentStatus.ACTIVE, EnrollmentStatus.APPROVED} and bool(
        enrollment.coverage_start and enrollment.coverage_start <= today
    )


def verification(token: str) -> dict[str, Any]:
    """What the public may learn from a token: genuine or not, and for a genuine valid card the masked
    name, the programmes and whether cover is active today. Never the NIK, the address or the KPJ."""
    card_id = signing.card_id_of(token)
    card = (
        Card.objects.select_related("enrollment__member").filter(pk=card_id).first()
        if card_id is not None
        else None
    )
    if card is None:
        return {"genuine": False, "valid": False}
    if not card.is_valid:
        return {"genuine": True, "valid": False, "status": card.status}
    enrollment = card.enrollment
    programs = ["JKK", "JKM"] + (["JHT"] if enrollment.jht else [])
    today = timezone.localdate()
    return {
        "genuine": True,
        "valid": True,
        "name": public_name(enrollment.member.full_name),
        "programs": programs,
        "cover_active_today": cover_active(enrollment, today),
        "checked_on": today.isoformat(),
    }


@public
@never_cache
def verify_page(request: HttpRequest, token: str) -> HttpResponse:
    if _rate_limited(request):
        return render(request, "cards/verify_limited.html", status=429)
    result = verification(token)
    return render(request, "cards/verify.html", {"result": result}, status=200 if result["genuine"] else 404)


@public
@never_cache
def verify_json(request: HttpRequest, token: str) -> JsonResponse:
    if _rate_limited(request):
        return JsonResponse({"error": "rate_limited"}, status=429)
    result = verification(token)
    return JsonResponse(result, status=200 if result["genuine"] else 404)


@public
def public_key(request: HttpRequest) -> JsonResponse:
    """The Ed25519 public key partner apps verify card tokens with (see cards/tokens.py for the format)."""
    return JsonResponse(
        {
            "algorithm": "Ed25519",
            "public_key": signing.public_key_b64(),
            "encoding": "base64url, 32 raw bytes",
            "token_format": "base64url(0x01 || card id, 5 bytes big-endian || signature of those 6 bytes)",
        }
    )


class HandOverForm(forms.Form):
    handed_to = forms.CharField(label=gettext_lazy("Handed to"), max_length=150)
    on = forms.DateField(
        label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class ReplaceForm(forms.Form):
    reason = forms.ChoiceField(label=gettext_lazy("Why"), choices=[("", "—"), *Card.ReplaceReason.choices])


def _card(request: AppRequest, pk: int) -> Card:
    return get_object_or_404(
        Card.objects.visible_to(request.user).select_related("enrollment__member"), pk=pk
    )


@scoped(Card)
@login_required
def card_detail(request: AppRequest, pk: int) -> HttpResponse:
    import segno

    card = _card(request, pk)
    url = request.build_absolute_uri(f"/verify/{card.token}/")
    return render(
        request,
        "cards/card_detail.html",
        {
            "card": card,
            "member": card.enrollment.member,
            "verify_url": url,
            "qr_svg": segno.make(url, error="m").svg_inline(scale=3, omitsize=False),
            "can_manage": request.user.has_role(*CARD_ADMINS),
            "hand_over_form": HandOverForm(initial={"on": timezone.localdate()}),
            "replace_form": ReplaceForm(),
            "history": Card.objects.filter(enrollment=card.enrollment).order_by("-issued_at"),
        },
    )


@scoped(Enrollment)
@role_required(*CARD_ADMINS)
@require_POST
def card_issue(request: AppRequest, pk: int) -> HttpResponse:
    enrollment = get_object_or_404(Enrollment.objects.visible_to(request.user), pk=pk)
    try:
        card = services.card_issue(enrollment=enrollment, actor=request.user)
    except services.CardError as error:
        messages.error(request, str(error))
        return redirect("enrollments:detail", pk=pk)
    messages.success(request, _("Card issued."))
    return redirect("cards:detail", pk=card.pk)


@scoped(Card)
@role_required(*CARD_ADMINS)
@require_POST
def card_action(request: AppRequest, pk: int) -> HttpResponse:
    card = _card(request, pk)
    action = request.POST.get("action")
    done = _("Saved.")
    try:
        if action == "printed":
            services.card_mark_printed(card=card, actor=request.user)
            done = _("Card marked as printed.")
        elif action == "hand_over":
            form = HandOverForm(request.POST)
            if not form.is_valid():
                raise services.CardError(_("Enter to whom and when the card was handed over."))
            services.card_hand_over(
                card=card,
                actor=request.user,
                handed_to=form.cleaned_data["handed_to"],
                on=form.cleaned_data["on"],
            )
            done = _("Hand-over recorded.")
        elif action == "replace":
            card = services.card_replace(card=card, actor=request.user, reason=request.POST.get("reason", ""))
            done = _("Card replaced: %(card)s issued; the old card's QR code no longer verifies.") % {
                "card": card
            }
        else:
            raise Http404
    except services.CardError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect("cards:detail", pk=card.pk)


CARD_FILTERS = ("status", "regency", "kpj")


def _regencies_of(user: Any) -> list[tuple[str, str]]:
    """The regencies and cities of the user's area, for the list's filter (chosen, not typed as a code)."""
    from umkm_enroll.accounts.scoping import scope_of
    from umkm_enroll.regions.models import Regency

    scope = scope_of(user)
    regencies = Regency.objects.filter(active=True).order_by("name")
    if not scope.everything:
        regencies = regencies.filter(code__in=sorted(scope.regency_codes))
    return [(regency.code, f"{regency.name} ({regency.code})") for regency in regencies]


def card_filters(params: Any) -> dict[str, str]:
    from .models import CardStatus

    filters = {name: str(params.get(name, "")).strip() for name in CARD_FILTERS}
    if filters["status"] not in CardStatus.values:
        filters["status"] = ""
    return filters


def cards_listed(user: Any, filters: dict[str, str], search: str = "") -> Any:
    """Cards of the user's area by status (e.g. printed and waiting to be handed over), by regency, by
    KPJ number and by the person searched for (a name, a full NIK, a KPJ or phone number), latest issued
    first."""
    from members.selectors import filter_by_person

    cards = Card.objects.visible_to(user)
    if search:
        cards = filter_by_person(cards, search, prefix="enrollment__member__")
    if filters.get("status"):
        cards = cards.filter(status=filters["status"])
    if filters.get("regency"):
        cards = cards.filter(enrollment__member__regency_id=filters["regency"])
    if filters.get("kpj"):
        cards = cards.filter(enrollment__member__kpj_number=filters["kpj"])
    return cards.order_by("-issued_at", "-id")


@scoped(Card)
@login_required
def card_list(request: AppRequest) -> HttpResponse:
    from umkm_enroll.exports.views import export_context
    from umkm_enroll.web.listing import paginate
    from umkm_enroll.web.searches import search_recall, search_redirect

    from .models import CardStatus

    if request.method == "POST":  # the search box: its text kept in the session, a token in the URL
        return search_redirect(request, reverse("cards:list"), CARD_FILTERS)
    filters = card_filters(request.GET)
    q = search_recall(request, request.GET.get("s", ""))
    cards = cards_listed(request.user, filters, q).select_related("enrollment__member__regency")
    return render(
        request,
        "cards/card_list.html",
        {
            **paginate(request, cards, per_page=50),
            "statuses": CardStatus.choices,
            "regencies": _regencies_of(request.user),
            **filters,
            "q": q,
            **export_context(request, "cards", request.GET),
        },
    )
