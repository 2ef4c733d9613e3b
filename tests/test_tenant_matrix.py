"""The tenant matrix, generated from the URL configuration and the API schema.

Every URL declares how it is scoped (umkm_enroll/accounts/access.py). For each scoped endpoint an
object is made in region A (Kota Mataram, NTB) and requested by users of region B (Kota Manado,
Sulawesi Utara) holding every regional role: a list must not contain it, a detail must answer 404 (or
403). A national administrator must see it, which shows the check can fail. An endpoint that declares
nothing fails the suite, so a new endpoint cannot forget its scoping.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from cards.models import Card, PrintBatch
from cards.services import card_issue
from contributions.billing import bills_insert
from contributions.models import Bill, Payment, PaymentFile, SponsorProgramme
from contributions.payment_files import payment_file_process_run, payment_file_upload
from contributions.payments import payment_record
from cooperatives.models import Cooperative
from members import imports
from members.enrollments import enrollment_create
from members.models import DuplicateFlag, Enrollment, ImportBatch, Member
from members.services import duplicates_flag
from tests.factories import CooperativeFactory, OfficeFactory, UserFactory, make_member, make_programme
from tests.helpers import login_verified
from umkm_enroll.accounts.access import NATIONAL, NO_DATA, PUBLIC, REFERENCE, SCOPED, data_scope_of
from umkm_enroll.accounts.models import Office, Role, User
from umkm_enroll.dashboards.models import CoverageTarget, MonthlyReport, Tally
from umkm_enroll.dashboards.services import monthly_report_generate
from umkm_enroll.jobs import services as jobs
from umkm_enroll.jobs.models import Job

REGION_A = "52.71"
REGION_B = "71.71"

# Third-party URL groups, each with the reason it holds no region's data for a non-superuser.
THIRD_PARTY = {
    "django-admin/": "Django's admin: superusers only (national), checked below",
    "i18n/": "set_language: stores a preference, returns no data",
}


@dataclass(frozen=True)
class Endpoint:
    route: str
    callback: Callable
    kwargs: tuple[str, ...]


def walk(patterns: list, prefix: str = "") -> Iterator[Endpoint]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            names = tuple(a or b for a, b in re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route))
            yield Endpoint(route, entry.callback, names)


def all_endpoints() -> list[Endpoint]:
    return [e for e in walk(get_resolver().url_patterns) if not e.route.startswith(tuple(THIRD_PARTY))]


def kind_of(endpoint: Endpoint) -> str | None:
    declared = data_scope_of(endpoint.callback)
    return declared[0] if declared else None


def model_of(endpoint: Endpoint) -> type:
    declared = data_scope_of(endpoint.callback)
    assert declared is not None, endpoint.route
    assert declared[1] is not None, endpoint.route
    return declared[1]


def make_office(region: str, marker: str) -> Office:
    return OfficeFactory.diskop_regency(region, name=f"Kantor {marker}")


def make_user(region: str, marker: str) -> User:
    return UserFactory.create(
        username=marker.lower(), first_name=marker, office=OfficeFactory.diskop_regency(region)
    )


def make_cooperative(region: str, marker: str) -> Cooperative:
    return CooperativeFactory.create(regency_id=region, name=f"Koperasi {marker}")


def make_person(region: str, marker: str) -> Member:
    return make_member(region, full_name=f"{marker} Wijaya")


def make_duplicate(region: str, marker: str) -> DuplicateFlag:
    first = make_member(region, full_name=f"{marker} Kembar")
    second = make_member(region, full_name=f"{marker} Kembar")
    flags = duplicates_flag(member=second)
    assert first.pk in {flags[0].first_id, flags[0].second_id}
    return flags[0]


def make_enrollment(region: str, marker: str) -> Enrollment:
    """A submitted enrollment: the state every enrollment list shows, the officers' queue included."""
    member = make_member(
        region, full_name=f"{marker} Terdaftar", heir_name="Ahli Waris", heir_relation="spouse"
    )
    operator = UserFactory.create(office=OfficeFactory.diskop_regency(region), roles=[Role.OPERATOR])
    return enrollment_create(
        member=member, data={"requested_start": timezone.localdate()}, actor=operator, submit=True
    )


def make_job(region: str, marker: str) -> Job:
    return jobs.job_create(kind=Job.Kind.ENROLLMENT_DECISIONS, total=1, actor=make_user(region, marker))


def make_programme_in(region: str, marker: str) -> SponsorProgramme:
    return make_programme(region[:2], regency_id=region, name=f"Program {marker}")


def make_bill(region: str, marker: str) -> Bill:
    enrollment = make_enrollment(region, marker)
    Enrollment.objects.filter(pk=enrollment.pk).update(status="active", coverage_start=date(2026, 1, 1))
    return bills_insert(
        [
            Bill(
                enrollment=enrollment,
                month=date(2026, 1, 1),
                payer="self",
                amount=11_800,
                due_date=date(2026, 1, 15),
            )
        ]
    )[0]


def make_payment(region: str, marker: str) -> Payment:
    bill = make_bill(region, marker)
    return payment_record(
        reference=f"REF-{marker}",
        amount=11_800,
        received_on=date(2026, 1, 10),
        actor=None,
        enrollment=bill.enrollment,
    ).payment


def make_payment_file(region: str, marker: str) -> PaymentFile:
    """A processed payment file of an office of the region, with a line that matched no one (what the
    reconciliation page lists)."""
    finance = UserFactory.create(office=OfficeFactory.diskop_regency(region), roles=[Role.FINANCE])
    content = b"No Referensi;No KPJ;Jumlah;Tanggal\nTRX-1;99999999999;11.800;10/01/2026\n"
    payment_file = payment_file_upload(actor=finance, name=f"{marker}.csv", content=content)
    assert payment_file.job_id is not None
    payment_file_process_run(payment_file.job_id)
    return payment_file


def make_card(region: str, marker: str) -> Card:
    enrollment = make_enrollment(region, marker)
    Enrollment.objects.filter(pk=enrollment.pk).update(status="active", coverage_start=date(2026, 1, 1))
    Member.objects.filter(pk=enrollment.member_id).update(kpj_number=f"9{enrollment.pk:010d}")
    enrollment.refresh_from_db()
    return card_issue(enrollment=enrollment, actor=None)


def make_print_batch(region: str, marker: str) -> PrintBatch:
    office = OfficeFactory.diskop_regency(region, name=f"Kantor {marker}")
    return PrintBatch.objects.create(office=office, description=f"{marker} batch", total=0)


def make_import_batch(region: str, marker: str) -> ImportBatch:
    """A checked people list of an office of the region, with an error report (one row to fix)."""
    from benchmarks.people_lists import people_rows, places_of, write_csv

    places = [place for place in places_of(region[:2]) if place.regency_code == region]
    rows, _bad = people_rows(3, places, bad_share=0)
    rows[2][2] = ""  # a row without a name: the error report has it
    operator = UserFactory.create(office=OfficeFactory.diskop_regency(region), roles=[Role.OPERATOR])
    batch = imports.import_upload(
        actor=operator, name=f"{marker}.csv", content=write_csv(rows), label=f"Daftar {marker}"
    )
    job = imports.import_confirm(batch=batch, mapping=batch.mapping, defaults={}, actor=operator)
    imports.import_check_run(job.pk)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.CHECKED
    assert batch.report_name
    return batch


def make_tally(region: str, marker: str) -> Tally:
    """A person of the region with a pending enrollment: the dashboard's tallies count them."""
    make_enrollment(region, marker)
    tally = Tally.objects.filter(regency_code=region).first()
    assert tally is not None
    return tally


def make_target(region: str, marker: str) -> CoverageTarget:
    return CoverageTarget.objects.create(
        province_id=region[:2], regency_id=region, year=2026, count=1_000, source=f"Sumber {marker}"
    )


def make_monthly_report(region: str, marker: str) -> MonthlyReport:
    office = OfficeFactory.diskop_regency(region, name=f"Kantor {marker}")
    return monthly_report_generate(office=office, month=date(2026, 1, 1), today=timezone.localdate())


# One maker per scoped model: an object in a region, findable by a marker string.
MAKERS: dict[type, Callable[[str, str], Any]] = {
    Office: make_office,
    User: make_user,
    Cooperative: make_cooperative,
    Member: make_person,
    DuplicateFlag: make_duplicate,
    Enrollment: make_enrollment,
    Job: make_job,
    SponsorProgramme: make_programme_in,
    Bill: make_bill,
    Payment: make_payment,
    PaymentFile: make_payment_file,
    Card: make_card,
    PrintBatch: make_print_batch,
    ImportBatch: make_import_batch,
    Tally: make_tally,
    CoverageTarget: make_target,
    MonthlyReport: make_monthly_report,
}


def shown_of(target: Any) -> tuple[str, ...]:
    """What a page or the API shows of the object (any one of these); not the bare marker, which a page
    may echo from the search box."""
    if isinstance(target, DuplicateFlag):
        return (target.first.full_name,)
    if isinstance(target, Enrollment):
        return (target.member.full_name,)
    if isinstance(target, Bill):
        return (target.enrollment.member.full_name,)
    if isinstance(target, Payment):
        return (target.reference,)
    if isinstance(target, Card):
        return (target.enrollment.member.full_name,)
    if isinstance(target, PrintBatch):
        return (target.description,)
    if isinstance(target, Tally):
        # The dashboard names no one: region A's figures show as its province's row (national users) or
        # its regency's row (the province's users).
        return (f'data-region="{target.province_code}"', f'data-region="{target.regency_code}"')
    if isinstance(target, MonthlyReport):
        return (target.office.name,)
    if isinstance(target, User):
        # Lists of users name them by their sign-in name (their full name beside it).
        return (target.username, str(target))
    if isinstance(target, Job):
        # A job has no name: pages show "kind #pk", the API (compact JSON) its id.
        return (str(target), f'"id":{target.pk},')
    return (str(target),)


def shows(content: bytes, shown: tuple[str, ...]) -> bool:
    text = content.decode()
    return any(evidence in text for evidence in shown)


def test_every_endpoint_declares_its_scoping():
    undeclared = [e.route for e in all_endpoints() if data_scope_of(e.callback) is None]
    assert not undeclared, f"endpoints without a scoping declaration: {undeclared}"


def test_every_scoped_model_has_a_maker():
    models = {model_of(e) for e in all_endpoints() if kind_of(e) == SCOPED}
    assert models <= set(MAKERS), f"add a maker for {models - set(MAKERS)}"


def as_schema_path(route: str) -> str:
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", route)
    path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)
    return ("/" + path.replace("^", "").replace("$", "")).replace("{pk}", "{id}")


def test_every_api_path_of_the_schema_is_a_declared_endpoint():
    schema = SchemaGenerator(patterns=None).get_schema(request=None, public=True)
    declared = {as_schema_path(e.route) for e in all_endpoints() if data_scope_of(e.callback)}
    missing = [path for path in schema["paths"] if path not in declared]
    assert not missing, f"schema paths without a declared endpoint: {missing}"


def search_params(marker: str) -> dict[str, str]:
    # `all`: lists that start at the user's own office's rows (an operator's submissions) show all they may.
    return {"q": marker, "search": marker, "employer_q": marker, "all": "1"}


def fill(route: str, values: dict[str, Any]) -> str:
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values[m.group(1)]), route)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), path)
    return "/" + path.replace("^", "").replace("$", "").replace("\\.", ".")


def regional_viewers() -> list[User]:
    """Users of region B holding every role that is not national."""
    diskop = UserFactory.create(
        office=OfficeFactory.diskop_regency(REGION_B), roles=[Role.OPERATOR, Role.CARD_ADMIN, Role.FINANCE]
    )
    branch = UserFactory.create(
        office=OfficeFactory.branch([REGION_B]), roles=[Role.OFFICER, Role.CARD_ADMIN, Role.FINANCE]
    )
    province = UserFactory.create(office=OfficeFactory.diskop_province(REGION_B[:2]), roles=[Role.OPERATOR])
    return [diskop, branch, province]


def scoped_endpoints() -> list[Endpoint]:
    return [e for e in all_endpoints() if kind_of(e) == SCOPED and "format" not in e.kwargs]


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", scoped_endpoints(), ids=lambda e: e.route)
def test_users_of_another_region_get_nothing_of_region_a(endpoint):
    model = model_of(endpoint)
    marker = f"Penanda{model.__name__}A"
    target = MAKERS[model](REGION_A, marker)
    unexpected = set(endpoint.kwargs) - {"pk"}
    assert not unexpected, f"{endpoint.route}: teach the matrix the URL parameters {unexpected}"
    path = fill(endpoint.route, {"pk": target.pk})
    shown = shown_of(target)
    assert marker not in shown

    for viewer in regional_viewers():
        client = Client()
        login_verified(client, viewer)
        # Searching for the marker must find nothing either.
        response = client.get(path, search_params(marker))
        answers = {200, 403}
        if response.status_code == 405:
            response = client.post(path, search_params(marker))
            # An action (a bulk decision) may refuse the search parameters as its body, or send the form
            # back with a message; neither shows data, which the content check below confirms.
            answers |= {302, 400}
        if endpoint.kwargs:
            assert response.status_code in {403, 404}, (
                f"{path} answered {response.status_code} to {viewer.roles}"
            )
        else:
            assert response.status_code in answers, path
            assert not shows(response.content, shown), f"{path} showed region A's object to {viewer.roles}"

    # The control: a national user holding every role sees the object, so the checks above can fail.
    admin = UserFactory.create(office=OfficeFactory.ministry(), roles=list(Role.values))
    client = Client()
    login_verified(client, admin)
    response = client.get(path)
    if endpoint.kwargs and response.status_code == 302:
        # A page may send the object to another of its pages (the edit page of an enrollment that is no
        # longer editable to its detail): that page must show it.
        location = response["Location"]
        assert location.startswith(path.rsplit(f"/{target.pk}/", 1)[0] + f"/{target.pk}/"), location
        response = client.get(location)
    if response.status_code != 405:
        assert response.status_code == 200, path
        if not endpoint.kwargs:
            # Lists may paginate: look for the marker on the first page by searching for it.
            response = client.get(path, search_params(marker))
            assert shows(response.content, shown), f"the control failed: {path} hid region A's object"
    elif not endpoint.kwargs:
        # A search that is posted (its text kept out of URLs): posted, it finds the object.
        response = client.post(path, search_params(marker))
        if response.status_code == 200:
            assert shows(response.content, shown), f"the control failed: {path} hid region A's object"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "endpoint", [e for e in all_endpoints() if kind_of(e) == NATIONAL], ids=lambda e: e.route
)
def test_national_endpoints_refuse_every_regional_role(endpoint):
    for viewer in regional_viewers():
        client = Client()
        login_verified(client, viewer)
        assert client.get(fill(endpoint.route, {})).status_code == 403


@pytest.mark.django_db
def test_reference_and_no_data_endpoints_are_only_those_that_hold_no_regional_records():
    kinds = {kind_of(e) for e in all_endpoints()}
    assert kinds <= {SCOPED, REFERENCE, NO_DATA, NATIONAL, PUBLIC}


@pytest.mark.django_db
def test_the_django_admin_is_closed_to_everyone_but_superusers():
    for viewer in regional_viewers():
        client = Client()
        login_verified(client, viewer)
        response = client.get("/django-admin/accounts/user/")
        assert response.status_code == 302
        assert "/django-admin/login/" in response["Location"]
