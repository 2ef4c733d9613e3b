"""An officer approves a whole queue of 10,000 enrollments at once: the browser starts the bulk decision,
a real Celery worker decides, and the job page shows the progress live until it has finished."""

from __future__ import annotations

import re
import time

import pytest
from django.db.models import Count
from playwright.sync_api import Page, expect

from members.models import Enrollment, EnrollmentStatus, Member
from tests.factories import OfficeFactory, UserFactory, make_submitted_enrollments
from tests.helpers import browser_login
from umkm_enroll.accounts.models import Role
from umkm_enroll.audit.models import AuditEntry
from umkm_enroll.jobs.models import Job

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

QUEUED = 10_000
TIMEOUT = 180.0
# One reading of the progress block, taken in a single script run so that an htmx swap cannot fall
# between its parts.
READ_PROGRESS = """() => {
  const block = document.querySelector('[data-testid="job-progress"]');
  if (!block) return null;
  const bar = block.querySelector("progress");
  return {
    status: block.dataset.status,
    done: Number(bar.getAttribute("value")),
    total: Number(bar.getAttribute("max")),
    percent: block.querySelector('[data-testid="job-percent"]').textContent.trim(),
  };
}"""


def test_an_officer_approves_ten_thousand_enrollments_and_watches_the_job(
    page: Page, live_server, celery_worker_process
):
    operator = UserFactory.create(
        username="operator.mataram",
        roles=[Role.OPERATOR],
        office=OfficeFactory.diskop_regency("52.71", name="Diskop Kota Mataram"),
    )
    officer = UserFactory.create(
        username="petugas.mataram",
        first_name="Lalu",
        roles=[Role.OFFICER],
        office=OfficeFactory.branch(["52.71"], name="BPJAMSOSTEK Cabang Mataram"),
    )
    seeding = time.monotonic()
    ids = make_submitted_enrollments(QUEUED, regency="52.71", operator=operator)
    print(f"\nseeded {len(ids):,} submitted enrollments in {time.monotonic() - seeding:.1f} s")
    celery_worker_process()

    page.goto("/")
    browser_login(page, officer)
    page.goto("/kepesertaan/antrean/")
    expect(page.get_by_test_id("queue-row")).to_have_count(50)
    # The queue filtered to Kota Mataram: the bulk form carries the filters along.
    page.locator("#id_regency").select_option(value="52.71")
    page.locator("form[role=search] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"regency=52\.71"))
    scope = page.locator("#bulk-scope")
    expect(scope.locator("option[value=filtered]")).to_contain_text(re.compile(r"\b10[.,]?000\b"))
    scope.select_option(value="filtered")
    page.locator("#bulk-decision").select_option(value="approve")
    page.locator("#bulk-form button[type=submit]").click()
    # A confirmation page names the decision and the count before anything is decided.
    expect(page.get_by_test_id("bulk-question")).to_have_text("Setujui 10.000 kepesertaan?")
    assert not Job.objects.exists()
    clicked = time.monotonic()
    page.get_by_role("button", name="Ya, mulai").click()
    page.wait_for_url(re.compile(r"/tugas/\d+/$"), timeout=60_000)
    job = Job.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[1]))
    assert job.kind == Job.Kind.ENROLLMENT_DECISIONS
    assert job.total == QUEUED

    readings: list[dict] = []
    deadline = clicked + TIMEOUT
    while time.monotonic() < deadline:
        reading = page.evaluate(READ_PROGRESS)
        if reading and (not readings or reading != readings[-1]):
            readings.append(reading)
        if reading and reading["status"] in {"succeeded", "failed"}:
            break
        page.wait_for_timeout(200)
    elapsed = time.monotonic() - clicked
    job.refresh_from_db()
    print(f"job page readings: {[(r['status'], r['done'], r['percent']) for r in readings]}")
    print(
        f"{QUEUED:,} approvals: {elapsed:.1f} s from the Start click to 'succeeded' in the browser"
        f" (worker: {(job.finished_at - job.started_at).total_seconds():.1f} s,"
        f" {job.rate or 0:.0f} decisions/s, attempts {job.attempts})"
        if job.started_at and job.finished_at
        else f"job not finished after {elapsed:.0f} s: {job.status} {job.done}/{job.total}"
    )

    assert readings, "the job page shows no progress block"
    assert readings[-1]["status"] == "succeeded", readings[-1]
    assert readings[-1]["percent"] == "100%"
    intermediate = [r for r in readings if 0 < r["done"] < r["total"]]
    assert job.started_at
    assert job.finished_at
    if (job.finished_at - job.started_at).total_seconds() > 3:
        # Long enough for the page (polling every second) to show the job half-way, rising.
        assert intermediate, readings
        done_seen = [r["done"] for r in readings]
        assert done_seen == sorted(done_seen)
    expect(page.get_by_test_id("job-approved")).to_have_text(re.compile(r"^10[.,]?000$"))

    assert (job.status, job.total, job.done, job.failed) == (Job.Status.SUCCEEDED, QUEUED, QUEUED, 0)
    assert job.result["approved"] == QUEUED
    enrollments = Enrollment.objects.filter(pk__in=ids)
    assert enrollments.filter(status=EnrollmentStatus.APPROVED, decided_by=officer).count() == QUEUED
    assert not Enrollment.objects.filter(status=EnrollmentStatus.SUBMITTED).exists()
    kpjs = list(Member.objects.filter(enrollments__pk__in=ids).values_list("kpj_number", flat=True))
    assert len(kpjs) == QUEUED
    assert all(kpj and re.fullmatch(r"\d{11}", kpj) for kpj in kpjs)
    assert len(set(kpjs)) == QUEUED
    entries = AuditEntry.objects.filter(action="members.enrollment.approved")
    assert entries.count() == QUEUED
    assert set(entries.values("object_id").annotate(n=Count("pk")).values_list("n", flat=True)) == {1}
    assert set(entries.values_list("actor", flat=True)) == {officer.pk}
