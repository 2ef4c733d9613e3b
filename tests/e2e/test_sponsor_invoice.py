"""A finance officer asks for the invoice of a large sponsor programme: the page offers to make it in the
background, a real Celery worker writes the PDF, the job page shows it finished and the browser downloads
the invoice, with every participant on it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.contributions.test_programmes import MATARAM, invoice_programme, page_count, user_in
from tests.helpers import browser_login
from umkm_enroll.accounts.models import Role
from umkm_enroll.audit.models import AuditEntry
from umkm_enroll.jobs.models import Job

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

PARTICIPANTS = 300
LIMIT = 100


def test_a_finance_officer_has_a_large_invoice_made_and_downloads_it(
    page: Page, live_server, celery_worker_process, settings, tmp_path
):
    settings.DATA_DIR = tmp_path
    settings.INVOICE_DIRECT_LIMIT = LIMIT
    programme = invoice_programme(PARTICIPANTS)
    finance = user_in(MATARAM, Role.FINANCE)
    celery_worker_process(extra_env={"DATA_DIR": str(tmp_path), "INVOICE_DIRECT_LIMIT": str(LIMIT)})

    page.goto(live_server.url)
    browser_login(page, finance)
    page.goto(f"{live_server.url}/iuran/program/{programme.pk}/")
    page.get_by_test_id("invoice-latest").click()
    expect(page.get_by_test_id("invoice-background")).to_contain_text("300")
    page.get_by_test_id("invoice-make").click()
    page.wait_for_url(re.compile(r"/tugas/\d+/$"))
    expect(page.get_by_test_id("job-progress")).to_have_attribute("data-status", "succeeded", timeout=60_000)
    expect(page.get_by_test_id("job-percent")).to_have_text("100%")

    with page.expect_download() as download_info:
        page.get_by_test_id("job-download").click()
    download = download_info.value
    assert download.suggested_filename == f"tagihan-program-{programme.pk}-2026-02.pdf"
    with open(download.path(), "rb") as handle:
        pdf = handle.read()
    assert pdf.startswith(b"%PDF-")
    assert page_count(pdf) >= PARTICIPANTS // 60
    job = Job.objects.get(kind=Job.Kind.SPONSOR_INVOICE)
    assert (job.done, job.attempts) == (PARTICIPANTS, 1)
    assert AuditEntry.objects.filter(action="contributions.programme.invoice_downloaded").count() == 1

    # Back on the invoice page, the file made is offered again.
    page.goto(f"{live_server.url}/iuran/program/{programme.pk}/tagihan/?bulan=2026-02")
    expect(page.get_by_test_id("invoice-latest-file")).to_be_visible()
