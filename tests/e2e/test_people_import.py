"""An operator imports a messy people list in the browser: a real Celery worker checks and stores it, the
page shows the preview and the progress, the error report comes back, the fixed rows are uploaded alone,
and the registry ends with exactly the expected people."""

from __future__ import annotations

import io
import re
import time

import openpyxl
import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from benchmarks.people_lists import HEADER, people_rows, places_of, write_xlsx
from members import imports
from members.models import ImportBatch, Member
from tests.factories import OfficeFactory, UserFactory
from tests.helpers import browser_login
from umkm_enroll.accounts.models import Role

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

MATARAM = "52.71"
GOOD = 3000
TIMEOUT = 120_000
# The headers as offices write them (the benchmark's list, with "No. KTP" for the NIK).
MESSY_HEADER = ["No. KTP" if name == "NIK" else name for name in HEADER]
READ_PROGRESS = """() => {
  const block = document.querySelector('[data-testid="job-progress"]');
  if (!block) return null;
  const bar = block.querySelector("progress");
  return {status: block.dataset.status, done: Number(bar ? bar.getAttribute("value") : 0)};
}"""


def number(text: int) -> re.Pattern[str]:
    """A count as the page prints it, with or without a thousands separator."""
    digits = f"{text:,}"
    return re.compile("^" + re.escape(digits).replace(",", "[.,]?") + "$")


def upload(page: Page, content: bytes, name: str, label: str) -> ImportBatch:
    page.goto("/orang/impor/baru/")
    page.locator("#id_file").set_input_files(
        {
            "name": name,
            "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "buffer": content,
        }
    )
    page.locator("#id_label").fill(label)
    page.locator("[data-testid=upload-form] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/orang/impor/\d+/kolom/$"))
    batch = ImportBatch.objects.get(pk=int(page.url.rstrip("/").split("/")[-2]))
    # The proposed columns: the NIK from "No. KTP", the name, the birth date, the sex, the phone, the regency.
    for field, header in (
        ("nik", "No. KTP"),
        ("full_name", "Nama Lengkap"),
        ("birth_date", "Tgl Lahir"),
        ("sex", "L/P"),
        ("phone", "No HP"),
        ("regency", "Kab/Kota"),
    ):
        expect(page.locator(f"#id_col_{field}")).to_have_value(str(batch.headers.index(header)))
    page.get_by_test_id("confirm-mapping").click()
    page.wait_for_url(re.compile(rf"/orang/impor/{batch.pk}/$"))
    return batch


def commit_and_watch(page: Page) -> list[dict]:
    page.get_by_test_id("commit").click()
    readings: list[dict] = []
    deadline = time.monotonic() + TIMEOUT / 1000
    while time.monotonic() < deadline:
        if page.get_by_test_id("result").count():
            break
        try:
            reading = page.evaluate(READ_PROGRESS)
        except PlaywrightError:  # the page reloaded itself (the job ended) while being read
            continue
        if reading and (not readings or reading != readings[-1]):
            readings.append(reading)
        page.wait_for_timeout(100)
    expect(page.get_by_test_id("result")).to_be_visible()
    return readings


def test_an_operator_imports_a_messy_list_fixes_the_rejected_rows_and_imports_them(
    page: Page, live_server, celery_worker_process
):
    operator = UserFactory.create(
        username="operator.mataram",
        roles=[Role.OPERATOR],
        office=OfficeFactory.diskop_regency(MATARAM, name="Diskop Kota Mataram"),
    )
    places = [place for place in places_of("52") if place.regency_code == MATARAM]
    rows, bad = people_rows(GOOD, places, bad_share=0)
    assert bad == 0
    originals = {index: list(rows[index]) for index in (5, 6, 7)}
    # A NIK Excel kept as a number: 16 digits rounded to 15 significant ones.
    rows[5][1] = float(f"{int(rows[5][1]):.14e}")
    rows[6][4] = "31/02/1980"
    rows[7][9] = "Desa Tidak Ada"
    rows.append(list(rows[0]))  # the same person twice
    content = write_xlsx(rows, header=MESSY_HEADER)
    # Small chunks, so that the progress of a few thousand rows is visible.
    celery_worker_process(extra_env={"IMPORT_CHUNK_ROWS": "250"})

    page.goto("/")
    browser_login(page, operator)
    page.goto("/orang/")
    page.get_by_test_id("open-imports").click()
    page.wait_for_url(re.compile(r"/orang/impor/$"))

    first = upload(page, content, "daftar-bpum.xlsx", "BPUM Mataram")
    # The preview (the page reloads by itself when the worker has checked every row).
    expect(page.get_by_test_id("count-valid")).to_have_text(number(GOOD - 3), timeout=TIMEOUT)
    expect(page.get_by_test_id("count-total")).to_have_text(number(GOOD + 1))
    expect(page.get_by_test_id("count-invalid")).to_have_text("3")
    expect(page.get_by_test_id("count-duplicate-file")).to_have_text("1")
    expect(page.get_by_test_id("count-duplicate-registry")).to_have_text("0")
    assert not Member.objects.exists()

    readings = commit_and_watch(page)
    expect(page.get_by_test_id("count-created")).to_have_text(number(GOOD - 3))
    first.refresh_from_db()
    assert first.status == ImportBatch.Status.COMMITTED
    assert first.commit_job is not None
    print(f"\ncommit progress readings: {readings}")
    if first.commit_job.started_at and first.commit_job.finished_at:
        seconds = (first.commit_job.finished_at - first.commit_job.started_at).total_seconds()
        if seconds > 3:
            assert any(0 < r["done"] < GOOD - 3 for r in readings), readings
    assert Member.objects.count() == GOOD - 3

    # The error report: the operator's own columns, only the rows to fix, with the explanation.
    with page.expect_download() as download_info:
        page.get_by_test_id("download-report").click()
    report = openpyxl.load_workbook(io.BytesIO(download_info.value.path().read_bytes()))
    sheet = report.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert header[: len(MESSY_HEADER)] == MESSY_HEADER
    assert header[-2:] == [imports.REPORT_COLUMN, imports.ROW_COLUMN]
    reported = {int(row[-1].value): row for row in sheet.iter_rows(min_row=2)}
    # Rows 1 and 3 are the title and the header: data row i is row i + 4.
    assert set(reported) == {9, 10, 11, len(rows) + 3}
    for index, original in originals.items():
        line = reported[index + 4]
        assert line[-2].value
        line[1].value = original[1]
        line[4].value = original[4]
        line[9].value = original[9]
    fixed = io.BytesIO()
    report.save(fixed)

    upload(page, fixed.getvalue(), "daftar-bpum-perbaiki.xlsx", "BPUM Mataram (perbaikan)")
    expect(page.get_by_test_id("count-valid")).to_have_text("3", timeout=TIMEOUT)
    expect(page.get_by_test_id("count-invalid")).to_have_text("0")
    # The repeated row is now already registered: it is not added again.
    expect(page.get_by_test_id("count-duplicate-registry")).to_have_text("1")
    commit_and_watch(page)
    expect(page.get_by_test_id("count-created")).to_have_text("3")

    assert Member.objects.count() == GOOD
    assert Member.objects.values("nik_digest").distinct().count() == GOOD
    assert set(Member.objects.values_list("import_batch__label", flat=True)) == {
        "BPUM Mataram",
        "BPUM Mataram (perbaikan)",
    }
    assert Member.objects.filter(regency_id=MATARAM).count() == GOOD
