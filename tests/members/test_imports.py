"""The people import's services (members/imports.py) against the test database: upload, check, preview,
commit, error report, hostile files and housekeeping. The jobs' bodies run in the test process (the
tasks are queued on commit, which a test transaction never reaches)."""

from __future__ import annotations

import csv
import io
import time
import zipfile
from datetime import date, timedelta
from typing import Any

import openpyxl
import pytest
from django.db.models import Count
from django.utils import timezone

from benchmarks.people_lists import HEADER, Place, people_rows, places_of, write_csv, write_xlsx
from members import imports
from members.enrollments import submit_problems
from members.imports import ImportError_, SameFile, SubmitOptions
from members.models import Enrollment, ImportBatch, ImportRow, Member, Payer, RiskClass
from tests.contributions.test_payment_files import zip_bomb
from tests.factories import OfficeFactory, UserFactory, make_member, make_programme, nik_for
from umkm_enroll import spreadsheets
from umkm_enroll.accounts.models import Role
from umkm_enroll.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

MATARAM = "52.71"
IMPORTED = "members.member.imported"


@pytest.fixture(autouse=True)
def _files(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture
def operator():
    return UserFactory.create(office=OfficeFactory.diskop_regency(MATARAM), roles=[Role.OPERATOR])


@pytest.fixture
def mataram() -> list[Place]:
    return [place for place in places_of("52") if place.regency_code == MATARAM]


def check(batch: ImportBatch, actor: Any, mapping: dict[str, int] | None = None) -> ImportBatch:
    job = imports.import_confirm(batch=batch, mapping=mapping or batch.mapping, defaults={}, actor=actor)
    imports.import_check_run(job.pk)
    batch.refresh_from_db()
    return batch


def commit(batch: ImportBatch, actor: Any, submit: SubmitOptions | None = None) -> ImportBatch:
    job = imports.import_commit(batch=batch, actor=actor, submit=submit)
    imports.import_commit_run(job.pk)
    batch.refresh_from_db()
    return batch


def upload(actor: Any, content: bytes, name: str = "daftar.xlsx", **kwargs: Any) -> ImportBatch:
    return imports.import_upload(actor=actor, name=name, content=content, **kwargs)


def digests_once() -> bool:
    return not Member.objects.values("nik_digest").annotate(n=Count("pk")).filter(n__gt=1).exists()


# --- Upload ---------------------------------------------------------------------------------------------


def csv_bytes(rows: list[list[Any]], *, delimiter: str, encoding: str) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow(
            [
                (spreadsheets.EXCEL_EPOCH + timedelta(days=v)).strftime("%d/%m/%Y")
                if i == 4 and isinstance(v, int)
                else v
                for i, v in enumerate(row)
            ]
        )
    return text.getvalue().encode(encoding)


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8-sig", ","), ("utf-8", ";"), ("cp1252", ";"), ("cp1252", ","), ("utf-8-sig", ";")],
)
def test_csv_lists_are_read_in_every_encoding_and_separator_excel_writes(
    operator, mataram, encoding, delimiter
):
    rows, _bad = people_rows(12, mataram, bad_share=0)
    rows[0][2] = "José Muñoz"
    rows[1][2] = "Ñoman Réné"
    batch = upload(operator, csv_bytes(rows, delimiter=delimiter, encoding=encoding), name="daftar.csv")
    assert (batch.file_format, batch.delimiter, batch.header_row) == ("csv", delimiter, 1)
    assert batch.headers == HEADER
    batch = check(batch, operator)
    assert batch.status == ImportBatch.Status.CHECKED, batch.error
    assert (batch.rows_total, batch.rows_valid) == (12, 12)
    names = set(ImportRow.objects.filter(batch=batch).values_list("full_name", flat=True))
    assert {"José Muñoz", "Ñoman Réné"} <= names


def test_an_xlsx_list_with_title_rows_above_its_header_is_read(operator, mataram):
    rows, _bad = people_rows(20, mataram, bad_share=0)
    batch = upload(operator, write_xlsx(rows))
    assert (batch.file_format, batch.header_row) == ("xlsx", 3)
    assert batch.mapping["nik"] == HEADER.index("NIK")
    batch = check(batch, operator)
    assert (batch.rows_total, batch.rows_valid, batch.rows_invalid) == (20, 20, 0)


def test_the_confirmed_columns_are_remembered_for_the_office(operator, mataram):
    rows, _bad = people_rows(3, mataram, bad_share=0)
    header = [*HEADER[:-1], "Keluarga"]  # a header no alias knows
    batch = upload(operator, write_xlsx(rows, header=header))
    assert "heir_relation" not in batch.mapping
    check(batch, operator, {**batch.mapping, "heir_relation": len(header) - 1})
    again = upload(operator, write_xlsx(rows, header=header, title="DAFTAR KEDUA"))
    assert again.mapping["heir_relation"] == len(header) - 1


def test_the_same_file_twice_is_recognised_and_its_reimport_never_duplicates_a_person(operator, mataram):
    rows, _bad = people_rows(30, mataram, bad_share=0)
    content = write_xlsx(rows)
    first = upload(operator, content)
    with pytest.raises(SameFile) as refused:
        upload(operator, content)
    assert refused.value.earlier == first
    second = upload(operator, content, again=True)
    assert second.same_as == first
    # Both checked before either is stored: the second commit meets the first's people.
    first, second = check(first, operator), check(second, operator)
    assert first.rows_valid == second.rows_valid == 30
    first = commit(first, operator)
    second = commit(second, operator)
    assert first.rows_created == 30
    assert second.rows_created == 0
    assert second.rows_duplicate_registry == 30
    assert Member.objects.count() == 30
    assert digests_once()
    # A third time, checked after the commit: every row is already registered, nothing to commit.
    third = check(upload(operator, content, again=True), operator)
    assert (third.rows_valid, third.rows_duplicate_registry) == (0, 30)
    with pytest.raises(ImportError_):
        imports.import_commit(batch=third, actor=operator)
    assert Member.objects.count() == 30
    assert AuditEntry.objects.filter(action=IMPORTED).count() == 30


# --- The check ------------------------------------------------------------------------------------------


def test_the_check_counts_valid_invalid_repeated_and_registered_rows(operator, mataram):
    rows, _bad = people_rows(40, mataram, bad_share=0)
    # Invalid: an Excel-rounded NIK, an impossible date, an unknown village.
    rows[3][1] = f"{rows[3][1][0]},{rows[3][1][1:6]}E+15"
    rows[4][4] = "31/02/1980"
    rows[5][9] = "Desa Tidak Ada"
    # Repeated in the file: row 7 repeats row 6's person (another name, as a second programme wrote it).
    rows[7] = [*rows[6][:2], "Nama Lain", *rows[6][3:]]
    # Registered: one visible to the operator, one registered by another office outside the area.
    visible = make_member(MATARAM, nik=rows[10][1], full_name="Orang Terdaftar")
    hidden = make_member("52.01", nik=rows[11][1], full_name="Rahasia Lombok Barat")
    batch = check(upload(operator, write_xlsx(rows)), operator)
    assert batch.rows_total == 40
    assert batch.rows_invalid == 3
    assert batch.rows_duplicate_file == 1
    assert batch.rows_duplicate_registry == 2
    assert batch.rows_valid == 40 - 3 - 1 - 2

    registered = {
        row.existing_member_id: row for row in ImportRow.objects.filter(batch=batch, status="dup_registry")
    }
    assert registered[visible.pk].existing_visible is True
    assert registered[hidden.pk].existing_visible is False
    samples = imports.preview_samples(batch)
    shown = {row.row_number: row for row in samples["duplicate"]}
    elsewhere = shown[registered[hidden.pk].row_number]
    assert elsewhere.existing_visible is False
    # The preview's row holds what the file said, never the registry's record of someone out of reach.
    assert "Rahasia" not in elsewhere.full_name
    repeated = ImportRow.objects.get(batch=batch, status="dup_file")
    assert repeated.first_row == repeated.row_number - 1
    assert str(repeated.first_row) in repeated.problems[0]
    invalid = ImportRow.objects.filter(batch=batch, status="invalid").order_by("row_number")
    columns = [row.problems[0].split(":")[0] for row in invalid]
    assert columns == ["NIK", "Tgl Lahir", "Desa/Kelurahan"]


def _outcome(batch: ImportBatch) -> list[tuple[int, str, int | None, list[str], list[str] | None]]:
    return list(
        ImportRow.objects.filter(batch=batch)
        .order_by("row_number")
        .values_list("row_number", "status", "first_row", "problems", "cells")
    )


def _with_repeats(mataram: list[Place]) -> list[list[Any]]:
    """23 rows, chunks of 5: row 2's NIK again in chunks 2 and 4, row 8's (chunk 1) again in chunk 3."""
    rows, _bad = people_rows(23, mataram, bad_share=0, seed=5)
    # The same people again (as another programme wrote them: other names).
    rows[12] = [*rows[1][:2], "Nama Kedua", *rows[1][3:]]
    rows[21] = [*rows[1][:2], "Nama Ketiga", *rows[1][3:]]
    rows[17] = [*rows[7][:2], "Nama Lain", *rows[7][3:]]
    rows[9][4] = "31/02/1980"  # and a bad row
    return rows


@pytest.mark.django_db(transaction=True)
def test_processes_check_their_chunks_and_a_nik_repeated_across_them_is_found(operator, mataram, settings):
    """The check forked into two processes (each a chunk at a time, in turns) gives the same rows, counts
    and messages as one process, with each repeated NIK pointing at its first row and kept as written."""
    settings.IMPORT_CHUNK_ROWS = 5
    content = write_xlsx(_with_repeats(mataram))
    settings.IMPORT_CHECK_PROCESSES = 1
    alone = check(upload(operator, content), operator)
    settings.IMPORT_CHECK_PROCESSES = 2
    forked = check(upload(operator, content, again=True), operator)

    counts = (forked.rows_total, forked.rows_valid, forked.rows_invalid, forked.rows_duplicate_file)
    assert counts == (23, 19, 1, 3)
    assert counts == (alone.rows_total, alone.rows_valid, alone.rows_invalid, alone.rows_duplicate_file)
    assert _outcome(forked) == _outcome(alone)
    repeated = {row[0]: row for row in _outcome(forked) if row[1] == "dup_file"}
    header = forked.header_row
    assert {number: row[2] for number, row in repeated.items()} == {
        header + 13: header + 2,
        header + 22: header + 2,
        header + 18: header + 8,
    }
    assert f"baris {header + 2}" in repeated[header + 13][3][0]
    # The report gives the row back as written: its NIK and name.
    kept = repeated[header + 18][4]
    assert kept is not None
    assert kept[1] == _with_repeats(mataram)[17][1]
    assert kept[2] == _with_repeats(mataram)[17][2]
    stored = ImportRow.objects.get(batch=forked, row_number=header + 18)
    assert stored.nik_ciphertext is None
    assert stored.nik_digest == ""
    job = forked.check_job
    assert job is not None
    job.refresh_from_db()
    assert sorted(job.result["done"]) == [0, 1, 2, 3, 4]
    assert (job.done, job.total) == (23, 23)
    assert job.result["forked_peak_kib"] > 0  # the second process's peak memory, for the benchmark


def _checked_and_confirmed_again(
    operator: Any, mataram: list[Place]
) -> tuple[ImportBatch, ImportBatch, Any, Any]:
    """The list with repeats checked whole, and uploaded again with its check confirmed but not run (the
    job, and a reader of the rows as the job's would be)."""
    content = write_xlsx(_with_repeats(mataram))
    whole = check(upload(operator, content), operator)
    batch = upload(operator, content, again=True)
    job = imports.import_confirm(batch=batch, mapping=batch.mapping, defaults={}, actor=operator)
    batch.refresh_from_db()
    reader = imports.RowReader(
        batch.mapping,
        {name: batch.headers[index] for name, index in batch.mapping.items()},
        imports.build_catalog(batch, operator, timezone.localdate()),
    )
    return whole, batch, job, reader


def test_a_check_resumed_after_some_chunks_checks_only_the_others(operator, mataram, settings):
    """The chunks an earlier run staged (recorded done with them) are not read again; the result is the
    same as one run's."""
    settings.IMPORT_CHUNK_ROWS = 5
    whole, batch, job, reader = _checked_and_confirmed_again(operator, mataram)
    rows = imports._source(batch).reread()
    # An earlier run staged the chunks 1 and 3 (the second of two processes) and was stopped.
    size, done = imports._chunking(job.pk, batch)
    assert (size, done) == (5, frozenset())
    assert imports._check_part(job.pk, batch, reader, rows, size, done, 1, 2) == 23
    job.refresh_from_db()
    assert (sorted(job.result["done"]), job.done) == ([1, 3], 10)
    imports._commit_check_chunk(job.pk, 1, [])  # a chunk found done is not staged again
    # The next run cuts the list as the first did, whatever IMPORT_CHUNK_ROWS says now.
    settings.IMPORT_CHUNK_ROWS = 20
    imports.import_check_run(job.pk)
    batch.refresh_from_db()
    job.refresh_from_db()
    assert sorted(job.result["done"]) == [0, 1, 2, 3, 4]
    assert ImportRow.objects.filter(batch=batch).count() == 23
    assert [row[1:4] for row in _outcome(batch)] == [row[1:4] for row in _outcome(whole)]
    assert (batch.rows_valid, batch.rows_duplicate_file) == (whole.rows_valid, whole.rows_duplicate_file)


def test_a_check_begun_by_the_older_version_with_a_cursor_starts_afresh(operator, mataram, settings):
    """A check job an older version began (its progress a row cursor, its rows staged up to it) is done
    again from the start when a new worker picks it up: no row staged twice, none missing."""
    settings.IMPORT_CHUNK_ROWS = 5
    whole, batch, job, reader = _checked_and_confirmed_again(operator, mataram)
    imports._check_part(job.pk, batch, reader, imports._source(batch).reread(), 5, frozenset(), 1, 2)
    staged = ImportRow.objects.filter(batch=batch).count()
    assert staged == 10
    job.refresh_from_db()
    job.result = {"cursor": batch.header_row + staged, "rows": staged}  # as the older version left it
    job.save(update_fields=["result"])
    imports.import_check_run(job.pk)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.CHECKED
    assert ImportRow.objects.filter(batch=batch).count() == 23
    assert [row[1:4] for row in _outcome(batch)] == [row[1:4] for row in _outcome(whole)]


def test_possible_duplicates_by_name_and_birth_date_or_by_phone(operator, mataram):
    rows, _bad = people_rows(10, mataram, bad_share=0)
    rows[0][2] = "Siti Wulandari"
    born = spreadsheets.EXCEL_EPOCH + timedelta(days=rows[0][4]) if isinstance(rows[0][4], int) else None
    born = born or date(int(rows[0][4][6:]), int(rows[0][4][3:5]), int(rows[0][4][:2]))
    district = mataram[0].district_code[-2:]
    # Another NIK (serial 9999): the same person typed twice, or a namesake born the same day.
    make_member(
        MATARAM,
        full_name="SITI  WULANDARI",
        birth=born,
        sex="P",
        nik=nik_for(MATARAM, district, born, "P", 9999),
    )
    rows[1][10] = "0812-9999-0001"
    make_member(
        MATARAM,
        full_name="Orang Lain",
        phone="+6281299990001",
        nik=nik_for(MATARAM, district, date(1985, 6, 15), "P", 9998),
    )
    # Two rows of the file itself with the same phone.
    rows[2][10] = rows[3][10] = "0813-1111-2222"
    batch = check(upload(operator, write_xlsx(rows)), operator)
    assert batch.rows_valid == 10, list(
        ImportRow.objects.filter(batch=batch).values_list("status", "problems")
    )
    flagged = set(
        ImportRow.objects.filter(batch=batch, possible_duplicate=True).values_list("row_number", flat=True)
    )
    assert flagged == {4, 5, 6, 7}  # data rows start at row 4 under the title and the header
    assert batch.rows_possible_duplicate == 4


# --- The commit -----------------------------------------------------------------------------------------


def test_the_commit_stores_exactly_the_valid_rows_with_one_audit_entry_each(operator, mataram):
    rows, _bad = people_rows(200, mataram, bad_share=0.1, seed=7)
    batch = check(upload(operator, write_xlsx(rows)), operator)
    assert batch.rows_total == 200
    valid = batch.rows_valid
    assert 0 < valid < 200
    batch = commit(batch, operator)
    assert batch.status == ImportBatch.Status.COMMITTED
    people = Member.objects.filter(import_batch=batch)
    assert people.count() == batch.rows_created == valid
    assert digests_once()
    entries = AuditEntry.objects.filter(action=IMPORTED)
    assert entries.count() == valid
    assert set(entries.values_list("object_id", flat=True)) == {
        str(pk) for pk in people.values_list("pk", flat=True)
    }
    # The staged copies of stored rows are gone; the rows to fix stay for the report.
    assert set(ImportRow.objects.filter(batch=batch).values_list("status", flat=True)) <= {
        "invalid",
        "dup_file",
    }
    assert not Enrollment.objects.exists()


def test_a_commit_resumed_after_some_chunks_stores_each_remaining_row_once(operator, mataram, settings):
    """Chunks are row ranges fixed on the first run; a run finds the chunks an earlier run stored (in any
    order: two are stored at once) and does the others; a chunk stored twice is rolled back."""
    settings.IMPORT_CHUNK_ROWS = 7
    rows, _bad = people_rows(40, mataram, bad_share=0.1, seed=11)
    batch = check(upload(operator, write_xlsx(rows)), operator)
    valid = batch.rows_valid
    job = imports.import_commit(batch=batch, actor=operator)
    batch.refresh_from_db()
    values = imports._chunk_values(batch)
    chunks = imports._chunk_ranges(job.pk, batch)
    assert len(chunks) == valid // 7 + 1
    assert chunks[-1][1] == imports.LAST_ROW
    assert imports._chunk_ranges(job.pk, batch) == chunks  # fixed once
    imports._commit_chunk(job.pk, batch, values, 2, chunks[2])
    imports._commit_chunk(job.pk, batch, values, 2, chunks[2])  # another run of the job, later
    assert Member.objects.filter(import_batch=batch).count() == 7
    assert AuditEntry.objects.filter(action=IMPORTED).count() == 7
    job.refresh_from_db()
    assert (job.result["done"], job.done) == ([2], 7)

    imports.import_commit_run(job.pk)
    batch.refresh_from_db()
    job.refresh_from_db()
    assert batch.status == ImportBatch.Status.COMMITTED
    assert Member.objects.filter(import_batch=batch).count() == batch.rows_created == valid
    assert AuditEntry.objects.filter(action=IMPORTED).count() == valid
    assert sorted(job.result["done"]) == list(range(len(chunks)))
    assert digests_once()


def _people_file(operator_regency: str, people: list[dict[str, Any]]) -> bytes:
    """A CSV of hand-made people (header as an aid list writes it)."""
    from umkm_enroll.regions.models import District, Village

    header = [
        "NIK", "Nama Lengkap", "Tempat Lahir", "Tgl Lahir", "L/P", "Alamat", "Kab/Kota", "Kecamatan",
        "Desa/Kelurahan", "Jenis Usaha", "Jenis Peserta", "Penghasilan", "Upah", "NIK Pemberi Kerja",
        "Nama Ahli Waris", "Hubungan Ahli Waris", "Koperasi",
    ]  # fmt: skip
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";")
    writer.writerow(header)
    for person in people:
        regency = person.get("regency", operator_regency)
        district = District.objects.filter(regency_id=regency).order_by("code").first()
        assert district is not None
        village = Village.objects.filter(district=district).order_by("code").first()
        assert village is not None
        writer.writerow(
            [
                person["nik"],
                person.get("name", "Baiq Nurul Hidayati"),
                "Mataram",
                person["birth"].strftime("%d/%m/%Y"),
                person.get("sex", "P"),
                "Jl. Pejanggik 10",
                regency,
                district.name,
                village.name,
                "Pedagang",
                person.get("kind", "BPU"),
                person.get("income", "1.500.000"),
                person.get("wage", ""),
                person.get("employer", ""),
                person.get("heir", "Lalu Zaini"),
                person.get("relation", "Suami"),
                person.get("cooperative", ""),
            ]
        )
    return text.getvalue().encode("utf-8")


def _years_ago(today: date, years: int, days: int = 0) -> date:
    try:
        day = today.replace(year=today.year - years)
    except ValueError:
        day = today.replace(year=today.year - years, day=28)
    return day + timedelta(days=days)


def _varied_people(today: date, employer_nik: str, cooperative: str) -> list[dict[str, Any]]:
    """People on both sides of every rule of submit_problems that an imported person can meet."""
    people: list[dict[str, Any]] = [
        {"birth": _years_ago(today, 15)},  # 15 today: old enough
        {"birth": _years_ago(today, 15, days=1)},  # 15 tomorrow: too young
        {"birth": _years_ago(today, 65)},  # 65 today
        {"birth": _years_ago(today, 66, days=1)},  # 66 tomorrow: still 65
        {"birth": _years_ago(today, 66)},  # 66 today: too old
        {"birth": date(1985, 6, 15), "heir": "", "relation": ""},  # no heir for JKM
        {"birth": date(1985, 6, 16), "heir": "Lalu Zaini", "relation": ""},
        {"birth": date(1985, 6, 17), "cooperative": cooperative},
        {
            "birth": date(1985, 6, 18),
            "kind": "PU",
            "income": "",
            "wage": "3.000.000",
            "employer": employer_nik,
        },
        {
            "birth": date(1985, 6, 19),
            "kind": "PU",
            "income": "",
            "wage": "3.000.000",
            "employer": employer_nik,
            "heir": "",
        },
        {"birth": date(1985, 6, 20), "regency": "52.01"},  # outside a Mataram programme
        {
            "birth": date(1985, 6, 21),
            "regency": "52.01",
            "kind": "PU",
            "income": "",
            "wage": "2.000.000",
            "employer": employer_nik,
        },
    ]
    for serial, person in enumerate(people, start=1):
        regency = person.get("regency", MATARAM)
        from umkm_enroll.regions.models import District

        district = (
            District.objects.filter(regency_id=regency).order_by("code").values_list("code", flat=True)[0]
        )
        person["nik"] = nik_for(
            regency, district[-2:], person["birth"], person.get("sex", "P"), serial=serial
        )
    return people


PAYERS = [
    pytest.param(SubmitOptions(), id="self"),
    pytest.param(SubmitOptions(risk_class=RiskClass.LOW), id="self-with-risk-class"),
    pytest.param("sponsor-mataram", id="sponsor-of-a-regency"),
    pytest.param("sponsor-province", id="sponsor-of-the-province"),
    pytest.param(SubmitOptions(payer=Payer.EMPLOYER, risk_class=RiskClass.MEDIUM), id="employer"),
    pytest.param(SubmitOptions(payer=Payer.COOPERATIVE), id="cooperative"),
    pytest.param(SubmitOptions(payer=Payer.BANK, bank="bri"), id="bank"),
    pytest.param(SubmitOptions(payer=Payer.BANK, bank=""), id="bank-not-chosen"),
]


@pytest.mark.parametrize("options", PAYERS)
def test_enrollments_are_submitted_for_exactly_the_people_submit_problems_lets_through(options):
    from cooperatives.models import Cooperative
    from tests.factories import CooperativeFactory

    operator = UserFactory.create(office=OfficeFactory.diskop_province("52"), roles=[Role.OPERATOR])
    today = timezone.localdate()
    employer = make_member(MATARAM, full_name="Majikan Usaha", birth=date(1970, 1, 1), sex="L")
    employer_nik = nik_for(MATARAM, str(employer.district_id)[-2:], date(1970, 1, 1), "L", serial=4321)
    Member.objects.filter(pk=employer.pk).update(
        nik_digest=imports._digest(employer_nik)  # the digest of a NIK we know
    )
    cooperative: Cooperative = CooperativeFactory.create(nik_koperasi="5271010001234")
    if options == "sponsor-mataram":
        options = SubmitOptions(
            payer=Payer.SPONSOR, sponsor_programme=make_programme("52", regency_id=MATARAM).pk
        )
    elif options == "sponsor-province":
        options = SubmitOptions(payer=Payer.SPONSOR, sponsor_programme=make_programme("52").pk)
    people = _varied_people(today, employer_nik, cooperative.nik_koperasi)
    batch = check(upload(operator, _people_file(MATARAM, people), name="daftar.csv"), operator)
    problems = list(
        ImportRow.objects.filter(batch=batch, status="invalid").values_list("problems", flat=True)
    )
    assert batch.rows_valid == len(people), problems
    batch = commit(batch, operator, submit=options)

    created = Member.objects.filter(import_batch=batch).select_related()
    assert created.count() == len(people)
    submitted = set(Enrollment.objects.filter(member__in=created).values_list("member_id", flat=True))
    allowed = set()
    for member in created:
        enrollment = Enrollment(
            member=member,
            kind=member.kind,
            jkk=True,
            jkm=True,
            jht=False,
            risk_class=options.risk_class if member.kind == "pu" else "",
            scheme=options.scheme,
            payer=options.payer,
            sponsor_programme_id=options.sponsor_programme,
            bank=options.bank,
        )
        if not submit_problems(enrollment, today):
            allowed.add(member.pk)
    assert submitted == allowed
    # Some pass and some do not, except where the options themselves stop everyone.
    stopped_by_options = options.payer == Payer.EMPLOYER or (options.payer == Payer.BANK and not options.bank)
    assert 0 < len(allowed) < len(people) or stopped_by_options
    assert batch.enrollments_submitted == len(submitted)
    assert batch.enrollments_skipped == len(people) - len(submitted)
    assert AuditEntry.objects.filter(action="members.enrollment.created").count() == len(submitted)


# --- The error report -----------------------------------------------------------------------------------


def _report(batch: ImportBatch, actor: Any) -> bytes:
    content, name = imports.report_file(batch=batch, actor=actor)
    assert name.endswith(f"-perbaiki.{batch.file_format}")
    return content


def test_fixing_the_rows_of_the_error_report_and_uploading_only_them_completes_the_list(operator, mataram):
    good, _bad = people_rows(60, mataram, bad_share=0, seed=11)
    rows = [list(row) for row in good]
    # Five kinds of slips, in rows the operator will correct from the originals.
    rows[2][1] = f"{good[2][1][0]},{good[2][1][1:6]}E+15"
    rows[9][4] = "31/02/1980"
    rows[17][5] = "X"
    rows[25][9] = "Desa Tidak Ada"
    rows[40][2] = ""
    batch = check(upload(operator, write_xlsx(rows)), operator)
    assert (batch.rows_valid, batch.rows_invalid) == (55, 5)
    commit(batch, operator)

    workbook = openpyxl.load_workbook(io.BytesIO(_report(batch, operator)))
    sheet = workbook.worksheets[0]
    lines = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = lines[0]
    assert header[: len(HEADER)] == HEADER  # the operator's own columns
    assert header[len(HEADER)] == imports.REPORT_COLUMN
    assert header[len(HEADER) + 1] == imports.ROW_COLUMN
    body = lines[1:]
    assert [int(line[-1]) for line in body] == [6, 13, 21, 29, 44]  # only the bad rows, by their row
    explained = [line[len(HEADER)] for line in body]
    assert [text.split(":")[0] for text in explained] == [
        "NIK",
        "Tgl Lahir",
        "L/P",
        "Desa/Kelurahan",
        "Nama Lengkap",
    ]
    # The operator corrects each row in the report from the source and uploads the report alone.
    for excel_row, (line, index) in enumerate(zip(body, [2, 9, 17, 25, 40], strict=True), start=2):
        for column, value in enumerate(good[index], start=1):
            sheet.cell(row=excel_row, column=column, value=value)
        assert line[-1]
    fixed = io.BytesIO()
    workbook.save(fixed)
    again = check(upload(operator, fixed.getvalue(), name="daftar-perbaiki.xlsx"), operator)
    assert (again.rows_total, again.rows_valid) == (5, 5), list(
        ImportRow.objects.filter(batch=again).values_list("problems", flat=True)
    )
    commit(again, operator)
    assert Member.objects.count() == 60
    assert digests_once()
    assert AuditEntry.objects.filter(action=IMPORTED).count() == 60


HOSTILE = ['=HYPERLINK("http://evil.example","klik")', "+6281234", "-2+3", "@SUM(A1)", "=1+1"]


def test_cells_that_look_like_formulas_come_back_as_text_in_an_xlsx_report(operator, mataram):
    rows, _bad = people_rows(len(HOSTILE), mataram, bad_share=0)
    for row, hostile in zip(rows, HOSTILE, strict=True):
        row[6] = hostile  # the address, kept as written
        row[5] = "?"  # a bad sex: the row goes to the report
    batch = check(upload(operator, write_xlsx(rows)), operator)
    assert batch.rows_invalid == len(HOSTILE)
    workbook = openpyxl.load_workbook(io.BytesIO(_report(batch, operator)))
    cells = [cell for row in workbook.worksheets[0].iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    assert {cell.value for cell in cells} >= set(HOSTILE)


def test_cells_that_look_like_formulas_are_quoted_in_a_csv_report(operator, mataram):
    rows, _bad = people_rows(len(HOSTILE), mataram, bad_share=0)
    for row, hostile in zip(rows, HOSTILE, strict=True):
        row[6] = hostile
        row[5] = "?"
    batch = check(upload(operator, write_csv(rows), name="daftar.csv"), operator)
    assert batch.rows_invalid == len(HOSTILE)
    text = _report(batch, operator).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text), delimiter=";"))
    addresses = [line[6] for line in lines[1:]]
    assert addresses == [f"'{hostile}" for hostile in HOSTILE]
    for line in lines:
        assert not any(cell.startswith(spreadsheets.FORMULA_STARTS) for cell in line)


def test_a_fixed_csv_report_uploads_again_with_its_quoted_phones_read_as_typed(operator, mataram):
    rows, _bad = people_rows(3, mataram, bad_share=0, seed=5)
    phone = HEADER.index("No HP")
    sex = HEADER.index("L/P")
    kept = [row[sex] for row in rows]
    for row in rows:
        row[phone] = "+62 813 2408 8104"
        row[sex] = "?"  # the slip the operator will fix in the report
    batch = check(upload(operator, write_csv(rows), name="daftar.csv"), operator)
    assert batch.rows_invalid == 3
    lines = list(csv.reader(io.StringIO(_report(batch, operator).decode("utf-8-sig")), delimiter=";"))
    assert {line[phone] for line in lines[1:]} == {"'+62 813 2408 8104"}  # quoted, as Excel needs
    for line, value in zip(lines[1:], kept, strict=True):
        line[sex] = value
    fixed = io.StringIO()
    csv.writer(fixed, delimiter=";", lineterminator="\r\n").writerows(lines)
    again = check(upload(operator, fixed.getvalue().encode("utf-8-sig"), name="perbaiki.csv"), operator)
    assert (again.rows_total, again.rows_valid) == (3, 3), list(
        ImportRow.objects.filter(batch=again).values_list("problems", flat=True)
    )
    commit(again, operator)
    assert set(Member.objects.values_list("phone", flat=True)) == {"+6281324088104"}


def test_only_the_quote_of_a_formula_start_is_taken_off_a_csv_cell():
    assert spreadsheets.unquote_formula("'+62 812") == "+62 812"
    assert spreadsheets.unquote_formula("'=1+1") == "=1+1"
    assert spreadsheets.unquote_formula("'Ahmad") == "'Ahmad"
    assert spreadsheets.unquote_formula("'") == "'"
    assert spreadsheets.unquote_formula("D'Costa") == "D'Costa"


# --- Hostile files --------------------------------------------------------------------------------------


def _refused(actor: Any, content: bytes, name: str = "daftar.xlsx") -> str:
    started = time.monotonic()
    with pytest.raises(ImportError_) as refused:
        upload(actor, content, name=name)
    assert time.monotonic() - started < 1
    assert not ImportBatch.objects.exists()
    message = str(refused.value)
    assert len(message) > 10
    return message


def test_a_file_over_the_size_limit_is_refused(operator, mataram, settings):
    settings.IMPORT_MAX_BYTES = 2 * 2**20
    rows, _bad = people_rows(10, mataram, bad_share=0)
    assert "2 MB" in _refused(operator, write_csv(rows) + b" " * (2 * 2**20), "besar.csv")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_file_with_too_many_rows_is_refused(operator, mataram, settings, fmt):
    settings.IMPORT_MAX_ROWS = 50
    rows, _bad = people_rows(200, mataram, bad_share=0)
    content = write_csv(rows) if fmt == "csv" else write_xlsx(rows)
    assert "50" in _refused(operator, content, f"panjang.{fmt}")


def test_a_file_just_within_the_row_bound_but_over_the_limit_fails_its_check(operator, mataram, settings):
    settings.IMPORT_MAX_ROWS = 50
    rows, _bad = people_rows(60, mataram, bad_share=0)
    batch = upload(operator, write_xlsx(rows))
    batch = check(batch, operator)
    assert batch.status == ImportBatch.Status.FAILED
    assert "50" in batch.error


def test_a_zip_bomb_is_refused_at_once(operator):
    bomb = zip_bomb(spreadsheets.MAX_XLSX_PART_BYTES + (16 << 20))
    assert "MB" in _refused(operator, bomb)


def test_a_workbook_declaring_xml_entities_is_refused(operator):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            "<worksheet>&b;</worksheet>",
        )
    _refused(operator, buffer.getvalue())


def test_a_workbook_with_macros_is_refused(operator, mataram):
    rows, _bad = people_rows(5, mataram, bad_share=0)
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(write_xlsx(rows))) as source, zipfile.ZipFile(buffer, "w") as target:
        for part in source.infolist():
            target.writestr(part, source.read(part))
        target.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0macro")
    assert "makro" in _refused(operator, buffer.getvalue(), "daftar.xlsm").lower()


def test_an_old_xls_workbook_and_a_pdf_are_refused_with_what_to_do(operator):
    assert ".xlsx" in _refused(operator, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000, "daftar.xls")
    _refused(operator, b"%PDF-1.7\n" + b"\x00" * 100, "daftar.pdf")
    _refused(operator, b"", "kosong.csv")


def test_a_damaged_workbook_is_refused_with_a_message(operator):
    _refused(operator, b"PK\x03\x04" + b"\x00" * 200, "rusak.xlsx")


# --- Files at rest and housekeeping ---------------------------------------------------------------------


def test_the_stored_upload_is_encrypted(operator, mataram):
    rows, _bad = people_rows(5, mataram, bad_share=0)
    content = write_csv(rows)
    batch = upload(operator, content, name="daftar.csv")
    stored = (imports.imports_dir() / batch.stored_name).read_bytes()
    for row in rows:
        assert row[1].encode() not in stored
        assert row[1][:12].encode() not in stored
    assert b"NIK" not in stored
    assert imports._load(batch.stored_name) == content


def test_purge_deletes_the_files_and_staged_rows_of_old_lists(operator, mataram, settings):
    settings.IMPORT_KEEP_DAYS = 14
    rows, _bad = people_rows(10, mataram, bad_share=0.3, seed=3)
    old = check(upload(operator, write_xlsx(rows)), operator)
    recent = check(upload(operator, write_xlsx(rows, title="BARU")), operator)
    assert old.report_name
    assert ImportRow.objects.filter(batch=old).exists()
    ImportBatch.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=15))
    files = imports.imports_dir()
    assert imports.imports_purge() == 1
    old.refresh_from_db()
    assert (old.stored_name, old.report_name, old.status) == ("", "", ImportBatch.Status.CANCELLED)
    assert not ImportRow.objects.filter(batch=old).exists()
    assert ImportRow.objects.filter(batch=recent).exists()
    assert sorted(path.name for path in files.iterdir()) == sorted([recent.stored_name, recent.report_name])
    assert imports.imports_purge() == 0


def test_a_row_count_is_never_confused_by_the_previous_run_of_the_check(operator, mataram):
    """Confirming the columns again (after a change) starts the check afresh, not on top of the last."""
    rows, _bad = people_rows(15, mataram, bad_share=0)
    batch = check(upload(operator, write_xlsx(rows)), operator)
    batch = check(batch, operator)
    assert (batch.rows_total, batch.rows_valid) == (15, 15)
    assert ImportRow.objects.filter(batch=batch).count() == 15
