"""Monthly reports: the beat's job (one report per office, once), their figures in the PDF and the XLSX
against the dashboard's, the list and the downloads (scoped, audited), and the management command."""

from __future__ import annotations

import io
import re
from datetime import date

import openpyxl
import pypdfium2 as pdfium
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from tests.dashboards.data import MANADO, MATARAM, build_country
from tests.factories import OfficeFactory, UserFactory
from tests.helpers import login_verified
from umkm_enroll.accounts.models import Office, Role
from umkm_enroll.audit.models import AuditEntry
from umkm_enroll.dashboards import tasks
from umkm_enroll.dashboards.models import MonthlyReport
from umkm_enroll.dashboards.reports import headline_rows, number
from umkm_enroll.dashboards.selectors import dashboard_figures, default_area, month_start, months_back
from umkm_enroll.dashboards.services import (
    monthly_reports_run,
    office_scope,
    target_sources,
)
from umkm_enroll.jobs.models import Job

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def files_in_tmp(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


@pytest.fixture
def offices():
    build_country()
    return {
        "mataram": OfficeFactory.diskop_regency(MATARAM),
        "ntb": OfficeFactory.diskop_province("52"),
        "branch": OfficeFactory.branch([MANADO]),
        "ministry": OfficeFactory.ministry(),
        # No report: closed, or serving no regency yet.
        "closed": OfficeFactory.diskop_regency(MANADO, active=False),
        "empty": OfficeFactory.create(kind=Office.Kind.BPJS_BRANCH, province_id=None, regency_id=None),
    }


def offices_with_an_area() -> set[int]:
    return {
        office.pk
        for office in Office.objects.filter(active=True)
        if office_scope(office).everything or office_scope(office).regency_codes
    }


def last_month() -> date:
    return months_back(month_start(timezone.localdate()), 1)


def run_beat(django_capture_on_commit_callbacks) -> Job:
    with django_capture_on_commit_callbacks(execute=False) as queued:
        job_id = tasks.monthly_reports()
    job = Job.objects.get(pk=job_id)
    if queued:
        assert len(queued) == 1
        monthly_reports_run(job.pk)
    return job


def client_of(user) -> Client:
    client = Client()
    login_verified(client, user)
    return client


def pdf_lines(content: bytes) -> list[str]:
    document = pdfium.PdfDocument(content)
    text = "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    return [re.sub(r"\s+", " ", line).strip() for line in text.splitlines()]


def test_the_beat_makes_last_months_report_of_every_office_once(offices, django_capture_on_commit_callbacks):
    job = run_beat(django_capture_on_commit_callbacks)
    job.refresh_from_db()
    month = last_month()
    reports = MonthlyReport.objects.filter(month=month)
    expected = offices_with_an_area()
    assert {offices[name].pk for name in ("mataram", "ntb", "branch", "ministry")} <= expected
    assert not {offices["closed"].pk, offices["empty"].pk} & expected
    assert {report.office_id for report in reports} == expected
    assert all(report.status == MonthlyReport.Status.READY for report in reports)
    assert all(report.pdf.name.endswith(".pdf") and report.xlsx.name.endswith(".xlsx") for report in reports)
    assert (job.kind, job.status, job.total, job.done, job.failed) == (
        Job.Kind.MONTHLY_REPORT,
        Job.Status.SUCCEEDED,
        len(expected),
        len(expected),
        0,
    )
    assert Job.TASKS[Job.Kind.MONTHLY_REPORT] == "dashboards.monthly_reports_job"
    made = {report.pk: report.generated_at for report in reports}

    # The beat again: the same job, nothing queued, nothing made again.
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert tasks.monthly_reports() == job.pk
    assert not queued
    assert Job.objects.filter(kind=Job.Kind.MONTHLY_REPORT).count() == 1
    assert {r.pk: r.generated_at for r in MonthlyReport.objects.filter(month=month)} == made


def test_a_job_resumed_after_a_lost_worker_makes_only_the_missing_reports(
    offices, django_capture_on_commit_callbacks
):
    job = run_beat(django_capture_on_commit_callbacks)
    month = last_month()
    lost = MonthlyReport.objects.get(office=offices["branch"], month=month)
    lost.delete()
    kept = {r.pk: r.generated_at for r in MonthlyReport.objects.filter(month=month)}
    # The worker died mid-run: the job is running again (jobs_requeue_stale) and resumes.
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, done=job.total - 1, finished_at=None)
    monthly_reports_run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.done) == (Job.Status.SUCCEEDED, job.total)
    again = MonthlyReport.objects.filter(month=month)
    assert again.count() == job.total
    assert {r.pk: r.generated_at for r in again if r.pk in kept} == kept


@pytest.mark.parametrize("name", ["mataram", "ntb", "branch", "ministry"])
def test_the_pdf_and_xlsx_hold_the_dashboard_figures_of_the_office(
    offices, name, django_capture_on_commit_callbacks
):
    run_beat(django_capture_on_commit_callbacks)
    office = offices[name]
    report = MonthlyReport.objects.get(office=office, month=last_month())
    scope = office_scope(office)
    province, regency = default_area(scope)
    figures = dashboard_figures(
        scope=scope, month=report.month, province=province, regency=regency, today=report.figures_as_of
    )
    totals = figures.totals
    assert totals.people > 0
    with translation.override("id"):
        sources = target_sources(scope=scope, province=province, regency=regency, year=report.month.year)
        expected = headline_rows(totals, sources)
        labels = dict(expected)

    with report.pdf.open("rb") as stored:
        lines = pdf_lines(stored.read())
    text = "\n".join(lines)
    assert office.name in text
    for label, value in expected:
        if isinstance(value, str):
            assert value in text, label
            continue
        matching = [line for line in lines if line.startswith(label)]
        assert matching, label
        assert matching[0].endswith(" " + number(value)), (label, matching[0], number(value))
    # The figures themselves, read from the dashboard's totals.
    for label_key, value in (
        ("People registered", totals.people),
        ("Enrollments waiting for a decision", totals.submitted),
        ("Enrollments active", totals.active),
        ("Enrollments lapsed", totals.lapsed),
        ("Cards printed", totals.cards_printed_total),
        ("Cards handed over", totals.cards_handed_over),
        ("Contributions billed for the month (Rp)", totals.billed),
        ("Contributions paid for the month (Rp)", totals.paid),
        ("Arrears: due and unpaid (Rp)", totals.arrears),
    ):
        with translation.override("id"):
            label = translation.gettext(label_key)
        assert label in labels
        assert f"{label} {number(value)}" in lines
    for row in figures.rows:
        row_lines = [line for line in lines if line.startswith(row.name + " ")]
        assert row_lines, row.name
        assert row_lines[0].split(" ")[len(row.name.split(" ")) :][:2] == [
            number(row.figures.people),
            number(row.figures.submitted),
        ]

    with report.xlsx.open("rb") as stored:
        book = openpyxl.load_workbook(io.BytesIO(stored.read()))
    summary, regions, trend = book.worksheets
    cells = {row[0]: row[1] for row in summary.iter_rows(values_only=True) if row and row[0]}
    for label, value in expected:
        assert cells[label] == (round(value, 1) if isinstance(value, float) else value), label
    region_rows = list(regions.iter_rows(values_only=True))[1:]
    assert [(r[0], r[1], r[2], r[4]) for r in region_rows] == [
        (row.name, row.figures.people, row.figures.submitted, row.figures.active) for row in figures.rows
    ]
    trend_rows = list(trend.iter_rows(values_only=True))[1:]
    assert [(r[1], r[2], r[3], r[4]) for r in trend_rows] == [
        (point.registered, point.submitted, point.billed, point.paid) for point in figures.trend
    ]


def test_reports_are_listed_and_downloaded_by_their_office_only_and_audited(
    offices, django_capture_on_commit_callbacks
):
    run_beat(django_capture_on_commit_callbacks)
    report = MonthlyReport.objects.get(office=offices["mataram"], month=last_month())
    operator = UserFactory.create(office=offices["mataram"], roles=[Role.OPERATOR])
    client = client_of(operator)

    dashboard = client.get(reverse("dashboards:dashboard")).content.decode()
    assert reverse("dashboards:report_list") in dashboard
    page = client.get(reverse("dashboards:report_list"), {"bulan": f"{last_month():%Y-%m}"})
    assert page.status_code == 200
    assert [r.pk for r in page.context["page_obj"]] == [report.pk]
    assert reverse("dashboards:report_pdf", args=[report.pk]) in page.content.decode()
    assert not client.get(reverse("dashboards:report_list"), {"bulan": "2001-01"}).context["page_obj"]

    pdf = client.get(reverse("dashboards:report_pdf", args=[report.pk]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.getvalue().startswith(b"%PDF")
    xlsx = client.get(reverse("dashboards:report_xlsx", args=[report.pk]))
    assert xlsx.status_code == 200
    assert xlsx.getvalue().startswith(b"PK")
    entries = AuditEntry.objects.filter(action="dashboards.monthly_report.downloaded").order_by("pk")
    assert [(e.actor_id, e.object_id, e.changes) for e in entries] == [
        (operator.pk, str(report.pk), {"format": [None, "pdf"]}),
        (operator.pk, str(report.pk), {"format": [None, "xlsx"]}),
    ]

    # Another office (the branch serving Manado) sees neither the report nor its files.
    other = client_of(UserFactory.create(office=offices["branch"], roles=[Role.OFFICER]))
    listed = other.get(reverse("dashboards:report_list")).context["page_obj"]
    assert [r.office_id for r in listed] == [offices["branch"].pk]
    assert other.get(reverse("dashboards:report_pdf", args=[report.pk])).status_code == 404
    assert other.get(reverse("dashboards:report_xlsx", args=[report.pk])).status_code == 404
    assert entries.count() == 2

    # A national viewer sees every office's reports.
    viewer = client_of(UserFactory.create(office=offices["ministry"], roles=[Role.NATIONAL_VIEWER]))
    assert viewer.get(reverse("dashboards:report_list")).context["paginator"].count == len(
        offices_with_an_area()
    )
    assert viewer.get(reverse("dashboards:report_pdf", args=[report.pk])).status_code == 200


def test_an_administrator_makes_a_month_again_and_others_may_not(offices, django_capture_on_commit_callbacks):
    run_beat(django_capture_on_commit_callbacks)
    report = MonthlyReport.objects.get(office=offices["mataram"], month=last_month())
    url = reverse("dashboards:report_generate")
    operator = UserFactory.create(office=offices["mataram"], roles=[Role.OPERATOR])
    assert client_of(operator).post(url, {"bulan": f"{last_month():%Y-%m}"}).status_code == 403

    admin = UserFactory.create(office=offices["ministry"], roles=[Role.ADMINISTRATOR])
    client = client_of(admin)
    assert (
        reverse("dashboards:report_generate")
        in client.get(reverse("dashboards:report_list")).content.decode()
    )
    assert client.post(url, {"bulan": "2999-01"}).status_code == 302
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(url, {"bulan": f"{last_month():%Y-%m}"})
    job = Job.objects.filter(kind=Job.Kind.MONTHLY_REPORT, params__regenerate=True).get()
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert len(queued) == 1
    assert AuditEntry.objects.filter(action="dashboards.monthly_reports.requested", actor=admin).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        monthly_reports_run(job.pk)
    again = MonthlyReport.objects.get(pk=report.pk)
    assert again.generated_at
    assert report.generated_at
    assert again.generated_at > report.generated_at
    assert again.pdf.name != report.pdf.name
    assert not report.pdf.storage.exists(report.pdf.name)


def test_the_command_makes_a_month(offices, capsys):
    month = last_month()
    count = len(offices_with_an_area())
    call_command("monthly_reports", f"{month:%Y-%m}")
    assert MonthlyReport.objects.filter(month=month, status=MonthlyReport.Status.READY).count() == count
    assert f"{count} reports made, 0 failed" in capsys.readouterr().out
    first = {r.pk: r.generated_at for r in MonthlyReport.objects.all()}
    call_command("monthly_reports", f"{month:%Y-%m}")
    assert MonthlyReport.objects.count() == count
    assert all(str(r.generated_at) > str(first[r.pk]) for r in MonthlyReport.objects.all())
