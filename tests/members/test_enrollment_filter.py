"""The registry's enrollment-status filter, and the enrollment invariants the database keeps."""

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from members.models import Enrollment, EnrollmentStatus
from tests.factories import OfficeFactory, UserFactory, make_member
from tests.helpers import login_verified
from umkm_enroll.accounts.models import Role

pytestmark = pytest.mark.django_db


def enroll(member, status, **fields):
    return Enrollment.objects.create(
        member=member, kind=member.kind, requested_start=date(2026, 12, 1), status=status, **fields
    )


@pytest.fixture
def operator():
    return UserFactory.create(office=OfficeFactory.diskop_regency("52.71"), roles=[Role.OPERATOR])


def test_the_registry_filters_people_by_enrollment_status(client, operator):
    submitted = make_member("52.71", full_name="Ani Submitted")
    active = make_member("52.71", full_name="Budi Active")
    never = make_member("52.71", full_name="Citra Never")
    enroll(submitted, EnrollmentStatus.SUBMITTED)
    enroll(active, EnrollmentStatus.ENDED)
    enroll(active, EnrollmentStatus.ACTIVE)
    login_verified(client, operator)

    def people(status):
        response = client.post(reverse("members:list"), {"enrollment": status}, follow=True)
        return list(response.context["page_obj"])

    assert people("submitted") == [submitted]
    assert people("active") == [active]
    assert people("none") == [never]
    assert len(people("")) == 3
    api = APIClient()
    login_verified(api, operator)
    assert [row["id"] for row in api.get("/api/v1/members/", {"enrollment": "active"}).json()["results"]] == [
        active.pk
    ]


def test_the_detail_page_lists_the_persons_enrollments(client, operator):
    member = make_member("52.71")
    enroll(member, EnrollmentStatus.SUBMITTED, submitted_office=operator.office)
    login_verified(client, operator)
    html = client.get(reverse("members:detail", args=[member.pk])).content.decode()
    assert "Diajukan" in html


def test_the_database_refuses_a_second_open_enrollment_of_a_person():
    member = make_member("52.71")
    enroll(member, EnrollmentStatus.ENDED)
    enroll(member, EnrollmentStatus.SUBMITTED)
    with pytest.raises(IntegrityError), transaction.atomic():
        enroll(member, EnrollmentStatus.DRAFT)


def test_the_database_refuses_a_decision_by_the_submitter_even_with_raw_sql(operator):
    member = make_member("52.71")
    enrollment = enroll(member, EnrollmentStatus.SUBMITTED, submitted_by=operator)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE members_enrollment SET decided_by_id = submitted_by_id, status = 'approved' "
            "WHERE id = %s",
            [enrollment.pk],
        )


def test_the_enrollments_list_searches_by_person_without_the_text_in_the_url(client, operator):
    from members.services import nik_reveal_value

    found = make_member("52.71", full_name="Baiq Nurul Aini")
    other = make_member("52.71", full_name="Lalu Ahmad")
    enroll(found, EnrollmentStatus.SUBMITTED, submitted_office=operator.office)
    enroll(other, EnrollmentStatus.SUBMITTED, submitted_office=operator.office)
    login_verified(client, operator)
    url = reverse("enrollments:list")
    for typed in ("nurul", nik_reveal_value(found)):
        posted = client.post(url, {"q": typed, "status": "submitted"})
        assert posted.status_code == 302
        assert typed not in posted["Location"]
        assert "status=submitted" in posted["Location"]
        page = client.get(posted["Location"])
        assert [e.member_id for e in page.context["page_obj"]] == [found.pk]
    # The export of the searched list holds what the page shows.
    query = posted["Location"].split("?", 1)[1]
    exported = client.post(reverse("enrollments:export"), {"query": query, "format": "csv", "delimiter": ";"})
    assert "Baiq Nurul Aini" in exported.content.decode("utf-8-sig")
    assert "Lalu Ahmad" not in exported.content.decode("utf-8-sig")
