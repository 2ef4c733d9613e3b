"""An operator exports a list of 100,000 people from the registry page: the browser asks for the export
with the list's filter, a real Celery worker writes the file in chunks, the job page shows the progress
bar rising until it has finished, and the downloaded file holds exactly the list's rows."""

from __future__ import annotations

import csv
import re
import time

import pytest
from django.db import connection
from django.utils import translation
from playwright.sync_api import Page, expect

from tests.factories import OfficeFactory, UserFactory, first_district, first_village
from tests.helpers import browser_login
from umkm_enroll.accounts.models import Role
from umkm_enroll.audit.models import AuditEntry
from umkm_enroll.exports import registry, services
from umkm_enroll.jobs.models import Job

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

PEOPLE = 100_000
OTHERS = 25  # PU workers: the filter kind=bpu leaves them out
TIMEOUT = 240.0
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

# People of Kota Mataram in one INSERT ... SELECT: NIK ciphertext and digest are stand-ins (an export never
# decrypts), the masked NIK is what the registry stores. Every 1,000th name starts like a formula.
SEED_SQL = """
INSERT INTO members_member (
    nik_ciphertext, nik_key_id, nik_digest, nik_masked, nik_regency_code, nik_district_code,
    kk_key_id, kk_masked, full_name, name_search, name_tokens, birth_place, birth_date, sex, address,
    province_id, regency_id, district_id, village_id, phone, email, occupation, business_name, nib, kind,
    monthly_income, monthly_wage, aid_bpum, aid_kur, heir_name, heir_relation, heir_phone, office_id,
    created_at, updated_at, version)
SELECT sha256(('e2e-export:' || g)::bytea), 'e2e', encode(sha256(('e2e-export:' || g)::bytea), 'hex'),
       '527101******' || lpad((g %% 10000)::text, 4, '0'), '52.71', %(district)s, '', '',
       CASE WHEN g %% 1000 = 0 THEN '=SUM(1+' || g || ')' ELSE 'Warga Mataram ' || g END,
       'warga mataram ' || g, ARRAY['warga', 'mataram', g::text], 'Mataram',
       date '1970-01-01' + (g %% 15000)::int, CASE WHEN g %% 2 = 0 THEN 'L' ELSE 'P' END, 'Jl. Contoh',
       '52', '52.71', %(district)s, %(village)s, '', '', 'Pedagang', '', '',
       CASE WHEN g <= %(others)s THEN 'pu' ELSE 'bpu' END,
       CASE WHEN g <= %(others)s THEN NULL ELSE 1000000 END, CASE WHEN g <= %(others)s THEN 2500000 END,
       false, false, '', '', '', %(office)s, now(), now(), 1
  FROM generate_series(1, %(count)s) AS g
"""


def test_an_operator_exports_a_hundred_thousand_people_and_watches_the_job(
    page: Page, live_server, celery_worker_process, settings, tmp_path
):
    settings.DATA_DIR = tmp_path
    settings.EXPORT_CHUNK = 2_000  # 50 chunks: the progress bar has steps to show
    office = OfficeFactory.diskop_regency("52.71", name="Diskop Kota Mataram")
    operator = UserFactory.create(username="operator.mataram", roles=[Role.OPERATOR], office=office)
    district = first_district("52.71")
    seeding = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(
            SEED_SQL,
            {
                "district": district,
                "village": first_village(district),
                "office": office.pk,
                "others": OTHERS,
                "count": PEOPLE + OTHERS,
            },
        )
        cursor.execute("ANALYZE members_member")
    print(f"\nseeded {PEOPLE + OTHERS:,} people in {time.monotonic() - seeding:.1f} s")
    celery_worker_process(extra_env={"DATA_DIR": str(tmp_path)})

    page.goto("/")
    browser_login(page, operator)
    page.goto("/orang/?kind=bpu")
    form = page.get_by_test_id("list-export")
    expect(form.locator("input[name=query]")).to_have_value("kind=bpu")
    form.locator("select[name=format]").select_option(value="csv")
    clicked = time.monotonic()
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/tugas/\d+/$"), timeout=60_000)
    job = Job.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[1]))
    assert (job.kind, job.total, job.params["list"]) == (Job.Kind.LIST_EXPORT, PEOPLE, "people")

    readings: list[dict] = []
    while time.monotonic() < clicked + TIMEOUT:
        reading = page.evaluate(READ_PROGRESS)
        if reading and (not readings or reading != readings[-1]):
            readings.append(reading)
        if reading and reading["status"] in {"succeeded", "failed"}:
            break
        page.wait_for_timeout(100)
    elapsed = time.monotonic() - clicked
    job.refresh_from_db()
    print(f"job page readings: {[(r['status'], r['done'], r['percent']) for r in readings]}")
    assert job.started_at
    assert job.finished_at
    worker_seconds = (job.finished_at - job.started_at).total_seconds()
    print(
        f"{PEOPLE:,} rows exported as CSV: worker {worker_seconds:.1f} s"
        f" ({PEOPLE / worker_seconds:,.0f} rows/s),"
        f" {elapsed:.1f} s from the Export click to 'succeeded' in the browser, attempts {job.attempts}"
    )
    assert readings[-1]["status"] == "succeeded", readings[-1]
    assert readings[-1]["percent"] == "100%"
    # The bar rose: the page showed the job part-way, never going back.
    intermediate = [r for r in readings if 0 < r["done"] < r["total"]]
    assert intermediate, readings
    done_seen = [r["done"] for r in readings]
    assert done_seen == sorted(done_seen)

    with page.expect_download() as download_info:
        page.get_by_test_id("job-download").click()
    download = download_info.value
    assert re.match(r"^orang-\d{8}\.csv$", download.suggested_filename)
    path = download.path()
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert len(rows) == PEOPLE + 1
    with translation.override("id"):
        assert rows[0] == registry.get("people").header  # in the language of the page that asked
    assert all(re.match(r"^527101\*{6}\d{4}$", row[2]) for row in rows[1:])
    formulas = [row[1] for row in rows[1:] if "SUM" in row[1]]
    assert len(formulas) == PEOPLE // 1000
    assert all(name.startswith("'=") for name in formulas)
    assert AuditEntry.objects.filter(action=services.EXPORTED, object_id=str(job.pk)).count() == 1
    assert AuditEntry.objects.filter(action=services.DOWNLOADED, object_id=str(job.pk)).count() == 1
