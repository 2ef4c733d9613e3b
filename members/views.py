from __future__ import annotations

import secrets
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from umkm_enroll.accounts.access import no_data, role_required, scoped
from umkm_enroll.accounts.models import Role
from umkm_enroll.audit.services import history_of
from umkm_enroll.exports.registry import Selection
from umkm_enroll.exports.views import export_context
from umkm_enroll.regions.models import Province
from umkm_enroll.web.http import AppRequest
from umkm_enroll.web.listing import paginate

from . import selectors, services
from .forms import MemberForm, MemberSearchForm, employer_label
from .models import DuplicateFlag, EnrollmentStatus, Member, ParticipantKind

REGISTRARS = (Role.OPERATOR,)
NIK_REVEALERS = (Role.OPERATOR, Role.OFFICER, Role.ADMINISTRATOR)


SEARCHES_KEY = "member_searches"
SEARCHES_KEPT = 20


def people_selection(request: HttpRequest, params: QueryDict) -> Selection:
    """The registry list's filters and sort (from its query string) and its search (from the session)."""
    form = MemberSearchForm(params)
    form.is_valid()
    filters = {key: value for key, value in form.cleaned_data.items() if key not in {"q", "sort"} and value}
    filters["sort"] = form.cleaned_data.get("sort") or ""
    q = request.session.get(SEARCHES_KEY, {}).get(params.get("s", ""), "")
    return Selection(filters=filters, search=q)


def _remember_search(request: AppRequest, q: str) -> str:
    """Keep the typed search in the session and return an opaque token for the URL: names, NIKs and
    phone numbers never appear in a URL (and so never in an access log or the browser history)."""
    searches = request.session.get(SEARCHES_KEY, {})
    for token, text in searches.items():
        if text == q:
            return token
    token = secrets.token_urlsafe(6)
    searches[token] = q
    request.session[SEARCHES_KEY] = dict(list(searches.items())[-SEARCHES_KEPT:])
    return token


@scoped(Member)
@login_required
def member_list(request: AppRequest) -> HttpResponse:
    params = request.GET.copy()
    if request.method == "POST":
        q = request.POST.get("q", "").strip()
        params = QueryDict(mutable=True)
        for key in (
            "province",
            "regency",
            "cooperative",
            "import_batch",
            "kind",
            "aid",
            "enrollment",
            "sort",
        ):
            if request.POST.get(key):
                params[key] = request.POST[key]
        if q:
            params["s"] = _remember_search(request, q)
        target = f"{reverse('members:list')}?{params.urlencode()}"
        if not request.htmx:
            return redirect(target)
        push_url = target
    else:
        push_url = None
        q = request.session.get(SEARCHES_KEY, {}).get(params.get("s", ""), "")
    form = MemberSearchForm(params)
    form.is_valid()
    filters = {key: value for key, value in form.cleaned_data.items() if key not in {"q", "sort"} and value}
    sort = form.cleaned_data.get("sort") or ""
    members = selectors.members_search(user=request.user, q=q, filters=filters, sort=sort)
    from cooperatives.models import Cooperative

    from .models import ImportBatch

    context = {
        "import_batch": ImportBatch.objects.visible_to(request.user)
        .filter(pk=int(filters.get("import_batch") or 0))
        .first(),
        # The list's own query string (after a live search, the URL pushed, not the POST's empty one).
        **paginate(request, members, per_page=25, params=params),
        "q": q,
        "filters": filters,
        "sort": sort,
        # The column heads' links: the list's query string without its sort (each head sets its own).
        "unsorted": _without(params, "sort", "page"),
        "query_kind": selectors.classify(q).kind,
        "provinces": Province.objects.filter(active=True),
        "cooperatives": Cooperative.objects.visible_to(request.user).order_by("name")[:300],
        "kinds": ParticipantKind.choices,
        "enrollment_statuses": EnrollmentStatus.choices,
        "can_register": request.user.has_role(*REGISTRARS),
    }
    context.update(export_context(request, "people", params))
    template = "members/_results.html" if request.htmx else "members/member_list.html"
    response = render(request, template, context)
    if push_url:
        response["HX-Push-Url"] = push_url
    return response


@scoped(Member)
@login_required
def member_detail(request: AppRequest, pk: int) -> HttpResponse:
    try:
        member = selectors.member_detail(user=request.user, pk=pk)
    except Member.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "members/member_detail.html",
        {
            "member": member,
            "workers": Member.objects.visible_to(request.user).current().filter(employer_member=member)[:100],
            "enrollments": member.enrollments.select_related("submitted_office").order_by("-created_at"),
            "history": history_of(member)[:50],
            "can_edit": request.user.has_role(*REGISTRARS),
            "can_enroll": request.user.has_role(*REGISTRARS)
            and not member.merged_into_id
            and not member.enrollments.exclude(status=EnrollmentStatus.ENDED).exists(),
            "can_reveal": request.user.has_role(*NIK_REVEALERS),
        },
    )


def _taken_message(error: services.NikTaken, user) -> str:
    if Member.objects.visible_to(user).filter(pk=error.existing.pk).exists():
        return format_html(
            '{} <a href="{}">{}</a>',
            str(error),
            reverse("members:detail", args=[error.existing.pk]),
            _("Open the record"),
        )
    return str(error)


def _save(request: AppRequest, form: MemberForm, member: Member | None) -> Member | None:
    data = {name: form.cleaned_data[name] for name in services.EDITABLE_FIELDS}
    try:
        if member is None:
            saved = services.member_create(
                data=data, nik=form.cleaned_data["nik"], kk=form.cleaned_data["kk"], actor=request.user
            )
        else:
            saved = services.member_update(
                member=member,
                data=data,
                actor=request.user,
                expected_version=form.cleaned_data.get("version") or 0,
                nik=form.cleaned_data["nik"] or None,
                kk=form.cleaned_data["kk"] or None,
            )
    except services.NikTaken as error:
        form.add_error("nik", _taken_message(error, request.user))
        return None
    except services.StaleEdit as error:
        form.add_error(None, str(error))
        return None
    except services.RegistryError as error:
        form.add_error(error.field, str(error))
        return None
    for warning in form.nik_warnings:
        messages.warning(request, warning)
    return saved


def _form_page(request: AppRequest, member: Member | None) -> HttpResponse:
    form = MemberForm(request.POST or None, instance=member, user=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = _save(request, form, member)
        if saved is not None:
            if DuplicateFlag.objects.open_for(saved).exists():
                messages.warning(
                    request,
                    _(
                        "A record with the same name and date of birth, or the same phone, "
                        "exists: it is listed under “Possible duplicates” for review."
                    ),
                )
            messages.success(request, _("Saved: %(name)s.") % {"name": saved.full_name})
            return redirect("members:detail", pk=saved.pk)
        if member is not None:
            member.refresh_from_db()
            data = cast(QueryDict, form.data).copy()
            data["version"] = str(member.version)
            form.data = data
    return render(request, "members/member_form.html", {"form": form, "member": member})


@no_data
@role_required(*REGISTRARS)
def member_create(request: AppRequest) -> HttpResponse:
    if request.user.office is None:
        raise PermissionDenied
    return _form_page(request, None)


@scoped(Member)
@role_required(*REGISTRARS)
def member_edit(request: AppRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(Member.objects.visible_to(request.user).current(), pk=pk)
    return _form_page(request, member)


@scoped(Member)
@role_required(*NIK_REVEALERS)
@require_POST
def member_reveal_nik(request: AppRequest, pk: int) -> HttpResponse:
    """Show one full NIK (audited). POST only, so the number never appears in a URL or a link."""
    member = get_object_or_404(Member.objects.visible_to(request.user), pk=pk)
    nik = services.member_reveal_nik(member=member, actor=request.user)
    response = render(request, "members/_nik_revealed.html", {"nik": nik})
    response["Cache-Control"] = "no-store"
    return response


@scoped(Member)
@login_required
@require_POST
def employer_lookup(request: AppRequest) -> HttpResponse:
    """<option>s of registered people (business owners) matching `employer_q`, for the employer select. The
    text typed (a name or a NIK) is posted, never put in a URL (which servers and proxies log)."""
    q = request.POST.get("employer_q", "").strip()
    people = selectors.members_search(user=request.user, q=q)[:30] if len(q) >= 3 else []
    return render(
        request,
        "members/_employer_options.html",
        {"options": [(m.pk, employer_label(m)) for m in people], "searched": bool(q)},
    )


@scoped(DuplicateFlag)
@login_required
def duplicate_list(request: AppRequest) -> HttpResponse:
    flags = selectors.duplicates_open_for(request.user)
    return render(
        request,
        "members/duplicate_list.html",
        {**paginate(request, flags, per_page=25), "can_resolve": request.user.has_role(*REGISTRARS)},
    )


@scoped(DuplicateFlag)
@role_required(*REGISTRARS)
@require_POST
def duplicate_resolve(request: AppRequest, pk: int) -> HttpResponse:
    flag = get_object_or_404(selectors.duplicates_open_for(request.user), pk=pk)
    if request.POST.get("action") not in {"merge", "distinct"}:
        return HttpResponseBadRequest()
    merge = request.POST["action"] == "merge"
    services.duplicate_resolve(flag=flag, merge=merge, actor=request.user)
    messages.success(
        request,
        _("Merged: the newer record now points to the older one.")
        if merge
        else _("Marked as different people."),
    )
    return redirect("members:duplicates")


def _without(params: QueryDict, *names: str) -> str:
    kept = params.copy()
    for name in names:
        kept.pop(name, None)
    return kept.urlencode()
