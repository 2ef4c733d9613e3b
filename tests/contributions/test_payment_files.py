"""Payment files: reading CSV and XLSX as banks and treasuries write them (title rows, semicolons, BOM,
Windows-1252, Indonesian amounts, Excel serial dates, formulas never calculated), refusing hostile
workbooks quickly, and processing: every line kept with its outcome, one payment per reference whatever
the file, a file recognised when sent twice, a job that resumes after a crash, scoping, and 2,000 lines
through a real Celery worker."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import date, timedelta

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import CharField, F, Sum, Value
from django.db.models.functions import Cast, Concat, LPad
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from contributions import payment_files as pf
from contributions.billing import run_month
from contributions.models import Bill, Payment, PaymentFile, PaymentFileLine
from members.models import Enrollment, Member
from tests.conftest import wait_until
from tests.factories import OfficeFactory, UserFactory, make_member, make_submitted_enrollments
from tests.helpers import login_verified
from umkm_enroll import spreadsheets
from umkm_enroll.accounts.models import Role, User
from umkm_enroll.audit.models import AuditEntry
from umkm_enroll.jobs.models import Job

MATARAM = "52.71"
MANADO = "71.71"
# January to March 2026: no relief applies (PP 50/2025 halves BPU contributions from April 2026), so every
# bill of the default flat scheme is Rp 11.800.
MONTHS = [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
PAID_ON = date(2026, 3, 20)
TODAY = date(2026, 4, 1)
KPJ_PATTERN = r"\d{11}"
Status = PaymentFileLine.Status

_KPJ = iter(range(10_000_000_000, 99_999_999_999, 7919))


@pytest.fixture(autouse=True)
def files_in_tmp(settings, tmp_path):
    """Uploaded files go to a temporary directory (a worker started by a test is given the same one)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


def lines_of(content: bytes) -> list[pf.ParsedLine]:
    layout = pf.inspect(content)
    return [
        pf.read_line(number, cells, layout, today=TODAY, kpj_pattern=KPJ_PATTERN, kpj_digits=11)
        for number, cells in pf.data_rows(content, layout)
    ]


def workbook_bytes(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def excel_serial(day: date) -> int:
    return (day - date(1899, 12, 30)).days


# --- Reading (no database) -----------------------------------------------------------------------------


def test_a_csv_with_semicolons_a_bom_and_title_rows_is_read():
    text = (
        "Laporan Pembayaran Iuran BPJS Ketenagakerjaan\n"
        "Bank NTB Syariah; periode Maret 2026\n"
        "\n"
        "No;No. Referensi;No KPJ;Nama;Jumlah (Rp);Tgl Bayar\n"
        "1;trx-001;12345678901;Baiq Nurul;Rp 11.800;20/03/2026\n"
        ";;;;;\n"
        "2;TRX-002;123.456.789-02;Lalu Ahmad;11.800,00;2026-03-21\n"
    )
    content = b"\xef\xbb\xbf" + text.encode("utf-8")
    layout = pf.inspect(content)
    assert (layout.format, layout.encoding, layout.delimiter) == ("csv", "utf-8-sig", ";")
    assert layout.header_row == 4
    assert layout.row_count == 2
    assert layout.headers == {
        "reference": "No. Referensi",
        "kpj": "No KPJ",
        "name": "Nama",
        "amount": "Jumlah (Rp)",
        "date": "Tgl Bayar",
    }
    first, second = lines_of(content)
    assert (first.row_number, first.reference, first.kpj, first.amount, first.received_on) == (
        5,
        "TRX-001",
        "12345678901",
        11_800,
        date(2026, 3, 20),
    )
    assert first.problems == []
    assert first.raw["name"] == "Baiq Nurul"
    assert (second.row_number, second.kpj, second.amount, second.received_on) == (
        7,
        "12345678902",
        11_800,
        date(2026, 3, 21),
    )


def test_a_comma_csv_in_windows_1252_keeps_the_names_as_written():
    text = "Ref,KPJ,Nama,Nominal,Tanggal\r\nA-1,12345678901,Sebastián Ñañez,11800,20/03/2026\r\n"
    content = text.encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    layout = pf.inspect(content)
    assert (layout.encoding, layout.delimiter) == ("windows-1252", ",")
    (line,) = lines_of(content)
    assert line.raw["name"] == "Sebastián Ñañez"
    assert (line.reference, line.amount) == ("A-1", 11_800)


def test_an_xlsx_with_a_title_row_reads_numbers_dates_and_serials_and_never_calculates_a_formula():
    content = workbook_bytes(
        [
            ["Rekapitulasi Iuran BPU - Kas Daerah Provinsi NTB"],
            ["No", "ID Transaksi", "KPJ", "Nama Peserta", "Nominal", "Tgl Bayar"],
            [1, "KASDA-001", 12345678901, "Baiq Nurul", 11800, PAID_ON],
            [2, "KASDA-002", "12345678902", "Lalu Ahmad", "Rp 11.800", excel_serial(PAID_ON)],
            [3, "KASDA-003", "12345678903", "Made", "=5900*2", "20/03/2026"],
            # A KPJ typed as a number loses its leading zero in Excel: it is restored.
            [4, 900123, 1234567890, "Nur", 11800.0, "20-03-2026"],
        ]
    )
    layout = pf.inspect(content)
    assert (layout.format, layout.header_row) == ("xlsx", 2)
    first, second, third, fourth = lines_of(content)
    assert (first.reference, first.kpj, first.amount, first.received_on) == (
        "KASDA-001",
        "12345678901",
        11_800,
        PAID_ON,
    )
    assert (second.amount, second.received_on) == (11_800, PAID_ON)
    assert third.amount is None
    assert third.raw["amount"] == "=5900*2"
    assert len(third.problems) == 1
    assert "=5900*2" in third.problems[0]
    assert "Nominal" in third.problems[0]
    assert (fourth.reference, fourth.kpj, fourth.amount, fourth.problems) == (
        "900123",
        "01234567890",
        11_800,
        [],
    )


@pytest.mark.parametrize(
    ("written", "amount"),
    [
        ("11.800", 11_800),
        ("Rp 11.800", 11_800),
        ("Rp11.800,-", 11_800),
        ("Rp. 1.234.567", 1_234_567),
        ("11800", 11_800),
        ("11.800,00", 11_800),
        ("11,800.00", 11_800),
        ("11800,00", 11_800),
        ("IDR 35.400", 35_400),
        (11800, 11_800),
        (11800.0, 11_800),
    ],
)
def test_amounts_written_the_indonesian_way_are_whole_rupiah(written, amount):
    assert pf.parse_amount(written) == amount


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("", "empty"),
        ("abc", "unreadable"),
        ("11.80", "cents"),
        ("1.5", "cents"),
        ("0", "not_positive"),
        ("-11.800", "not_positive"),
        ("11.800.5", "unreadable"),
        (11800.5, "cents"),
    ],
)
def test_unreadable_amounts_say_why(written, code):
    with pytest.raises(pf.CellError) as caught:
        pf.parse_amount(written)
    assert caught.value.code == code


@given(st.integers(min_value=1, max_value=10**11))
def test_any_amount_written_with_dots_for_thousands_reads_back(amount):
    grouped = f"{amount:,}".replace(",", ".")
    for written in (grouped, f"Rp {grouped}", f"{grouped},00", str(amount), f"Rp{grouped},-"):
        assert pf.parse_amount(written) == amount


@pytest.mark.parametrize(
    "written",
    [
        "20/03/2026",
        "20-03-2026",
        "20.03.2026",
        "2026-03-20",
        "2026-03-20 10:15:00",
        "20/03/26",
        "20 Maret 2026",
        "20 Mar 2026",
        str(excel_serial(PAID_ON)),
        excel_serial(PAID_ON),
    ],
)
def test_payment_dates_are_read_in_the_forms_people_write(written):
    assert pf.parse_date(written) == PAID_ON


def test_a_header_without_a_kpj_column_is_refused_naming_the_missing_column():
    content = b"No Referensi;Nama;Jumlah;Tanggal\nA;B;11.800;20/03/2026\n"
    with pytest.raises(pf.HeaderMissing) as caught:
        pf.inspect(content)
    assert caught.value.found == {"reference", "amount", "date"}
    assert str(pf.FIELD_LABELS["kpj"]) in str(caught.value)


def test_an_old_xls_workbook_is_refused():
    with pytest.raises(pf.PaymentFileError):
        pf.inspect(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)


def test_more_rows_than_the_limit_are_refused(monkeypatch):
    monkeypatch.setattr(pf, "MAX_ROWS", 5)
    rows = "".join(f"R{n};12345678901;11.800;20/03/2026\n" for n in range(6))
    with pytest.raises(pf.PaymentFileError, match="5"):
        pf.inspect(("Ref;KPJ;Jumlah;Tanggal\n" + rows).encode())
    xlsx = workbook_bytes([["Ref", "KPJ", "Jumlah", "Tanggal"]] + [[f"R{n}", 1, 1, 1] for n in range(6)])
    with pytest.raises(pf.PaymentFileError, match="5"):
        pf.inspect(xlsx)


def zip_bomb(uncompressed: int) -> bytes:
    """A workbook whose one sheet unpacks to `uncompressed` bytes of spaces (compressed about 1000 times)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            block = b" " * (1 << 20)
            for _ in range(uncompressed // len(block)):
                sheet.write(block)
    return buffer.getvalue()


def test_a_zip_bomb_workbook_is_refused_from_its_directory_at_once():
    bomb = zip_bomb(spreadsheets.MAX_XLSX_PART_BYTES + (16 << 20))
    assert len(bomb) < 2 * 1024 * 1024
    started = time.monotonic()
    with pytest.raises(pf.PaymentFileError, match="MB"):
        pf.inspect(bomb)
    assert time.monotonic() - started < 0.5


def test_a_workbook_declaring_a_dtd_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]><worksheet>&a;</worksheet>',
        )
    with pytest.raises(pf.PaymentFileError):
        spreadsheets.check_xlsx(buffer.getvalue())


# --- Processing ----------------------------------------------------------------------------------------


def finance_user(regency: str = MATARAM, office=None) -> User:
    return UserFactory.create(office=office or OfficeFactory.diskop_regency(regency), roles=[Role.FINANCE])


def billed_enrollment(regency: str = MATARAM, **fields) -> Enrollment:
    """An active BPU enrollment with a KPJ number, billed for January to March 2026 (3 x Rp 11.800)."""
    member = make_member(regency, kpj_number=str(next(_KPJ)), **fields)
    enrollment = Enrollment.objects.create(
        member=member,
        kind="bpu",
        payer="self",
        status="active",
        requested_start=MONTHS[0],
        coverage_start=MONTHS[0],
    )
    for month in MONTHS:
        run_month(month)
    return enrollment


def csv_file(*lines: str) -> bytes:
    return (
        "Laporan Bank NTB\nNo Referensi;No KPJ;Jumlah;Tanggal\n" + "".join(f"{line}\n" for line in lines)
    ).encode()


def line(reference: str, kpj: str | None, amount: str = "11.800", day: str = "20/03/2026") -> str:
    return f"{reference};{kpj};{amount};{day}"


def upload_and_process(actor: User, content: bytes, name: str = "mutasi.csv") -> PaymentFile:
    payment_file = pf.payment_file_upload(actor=actor, name=name, content=content)
    assert payment_file.job_id is not None
    pf.payment_file_process_run(payment_file.job_id)
    payment_file.refresh_from_db()
    return payment_file


def statuses(payment_file: PaymentFile) -> list[tuple[int, str]]:
    return list(payment_file.lines.order_by("row_number").values_list("row_number", "status"))


@pytest.mark.django_db
def test_matched_lines_are_paid_and_an_unknown_kpj_is_kept_as_unmatched():
    enrollment = billed_enrollment()
    kpj = enrollment.member.kpj_number
    actor = finance_user()
    payment_file = upload_and_process(
        actor,
        csv_file(line("TRX-1", kpj, "Rp 23.600"), line("TRX-2", "99999999999"), line("TRX-3", kpj, "1,5")),
    )
    assert statuses(payment_file) == [(3, Status.MATCHED), (4, Status.UNMATCHED), (5, Status.INVALID)]
    matched, unmatched, invalid = payment_file.lines.order_by("row_number")
    payment = Payment.objects.get()
    assert matched.payment == payment
    assert (payment.reference, payment.amount, payment.source, payment.received_on) == (
        "TRX-1",
        23_600,
        Payment.Source.FILE,
        PAID_ON,
    )
    assert payment.enrollment == enrollment
    assert payment.recorded_by == actor
    assert list(
        Bill.objects.filter(enrollment=enrollment).order_by("month").values_list("paid", flat=True)
    ) == [
        11_800,
        11_800,
        0,
    ]
    assert unmatched.payment is None
    assert "99999999999" in unmatched.message
    assert unmatched.raw == {
        "reference": "TRX-2",
        "kpj": "99999999999",
        "amount": "11.800",
        "date": "20/03/2026",
    }
    assert "Jumlah" in invalid.message
    job = payment_file.job
    assert job is not None
    assert job.status == Job.Status.SUCCEEDED
    assert (job.total, job.done, job.failed) == (3, 3, 2)
    assert job.result["matched"] == 1
    assert job.result["paid"] == 23_600
    assert AuditEntry.objects.filter(action="contributions.payment_file.uploaded").count() == 1


@pytest.mark.django_db
def test_the_same_reference_on_two_lines_is_one_payment():
    enrollment = billed_enrollment()
    kpj = enrollment.member.kpj_number
    payment_file = upload_and_process(
        finance_user(),
        csv_file(line("TRX-7", kpj), line("trx-7", kpj), line("TRX-7", kpj, "20.000")),
    )
    assert statuses(payment_file) == [(3, Status.MATCHED), (4, Status.DUPLICATE), (5, Status.INVALID)]
    payment = Payment.objects.get()
    first, second, third = payment_file.lines.order_by("row_number")
    assert first.payment == second.payment == payment
    assert "3" in second.message
    assert third.payment is None
    assert "TRX-7" in third.message
    assert Bill.objects.filter(enrollment=enrollment).aggregate(paid=Sum("paid"))["paid"] == 11_800


@pytest.mark.django_db
def test_a_line_in_two_files_pays_once():
    enrollment = billed_enrollment()
    kpj = enrollment.member.kpj_number
    actor = finance_user()
    first = upload_and_process(actor, csv_file(line("BANK-1", kpj)), name="bank.csv")
    second = upload_and_process(actor, csv_file(line("BANK-1", kpj), line("KASDA-1", kpj)), name="kasda.csv")
    assert statuses(first) == [(3, Status.MATCHED)]
    assert statuses(second) == [(3, Status.DUPLICATE), (4, Status.MATCHED)]
    assert Payment.objects.count() == 2
    assert second.lines.get(row_number=3).payment == first.lines.get().payment


@pytest.mark.django_db
def test_a_kpj_registered_in_another_area_is_unmatched_without_saying_whose_it_is():
    elsewhere = billed_enrollment(MANADO, full_name="Rahmat Kurniawan")
    payment_file = upload_and_process(finance_user(), csv_file(line("TRX-1", elsewhere.member.kpj_number)))
    (kept,) = payment_file.lines.all()
    assert kept.status == Status.UNMATCHED
    assert kept.payment is None
    assert "Rahmat" not in kept.message
    assert "Manado" not in kept.message
    assert MANADO not in kept.message
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_a_participant_without_bills_is_unmatched_until_billed_then_processing_again_pays_once():
    enrollment = billed_enrollment()
    newcomer = Enrollment.objects.create(
        member=make_member(MATARAM, full_name="Dewi Rahayu", kpj_number="55555555555"),
        kind="bpu",
        payer="self",
        status="active",
        requested_start=MONTHS[-1],
        coverage_start=date(2026, 4, 1),
    )
    actor = finance_user()
    payment_file = upload_and_process(
        actor, csv_file(line("TRX-1", enrollment.member.kpj_number), line("TRX-2", "55555555555"))
    )
    assert statuses(payment_file) == [(3, Status.MATCHED), (4, Status.UNMATCHED)]
    assert "55555555555" in payment_file.lines.get(row_number=4).message
    Enrollment.objects.filter(pk=newcomer.pk).update(coverage_start=MONTHS[0])
    run_month(MONTHS[0])

    job = pf.payment_file_reprocess(payment_file=payment_file, actor=actor)
    pf.payment_file_process_run(job.pk)
    assert statuses(payment_file) == [(3, Status.MATCHED), (4, Status.MATCHED)]
    assert Payment.objects.count() == 2
    assert Payment.objects.filter(enrollment=newcomer).count() == 1
    # A redelivered task of a finished job does nothing.
    pf.payment_file_process_run(job.pk)
    assert Payment.objects.count() == 2
    with pytest.raises(pf.PaymentFileError):
        pf.payment_file_reprocess(payment_file=payment_file, actor=actor)


@pytest.mark.django_db
def test_a_job_killed_between_chunks_resumes_after_the_last_committed_chunk(monkeypatch):
    enrollments = [billed_enrollment() for _ in range(3)]
    monkeypatch.setattr(pf, "CHUNK", 2)
    content = csv_file(*(line(f"TRX-{n}", e.member.kpj_number) for n, e in enumerate(enrollments * 2)))
    actor = finance_user()
    payment_file = pf.payment_file_upload(actor=actor, name="mutasi.csv", content=content)
    assert payment_file.job_id is not None

    real = pf.process_chunk
    calls = []

    def dies_on_the_second_chunk(**kwargs):
        calls.append(kwargs["rows"][0][0])
        if len(calls) == 2:
            raise RuntimeError("worker lost")
        return real(**kwargs)

    monkeypatch.setattr(pf, "process_chunk", dies_on_the_second_chunk)
    with pytest.raises(RuntimeError):
        pf.payment_file_process_run(payment_file.job_id)
    job = Job.objects.get(pk=payment_file.job_id)
    assert (job.status, job.done, job.result["cursor"]) == (Job.Status.RUNNING, 2, 2)
    assert payment_file.lines.count() == 2
    assert Payment.objects.count() == 2

    monkeypatch.setattr(pf, "process_chunk", real)
    pf.payment_file_process_run(payment_file.job_id)
    job.refresh_from_db()
    assert (job.status, job.done, job.attempts) == (Job.Status.SUCCEEDED, 6, 2)
    assert payment_file.lines.filter(status=Status.MATCHED).count() == 6
    assert Payment.objects.count() == 6
    assert Bill.objects.aggregate(paid=Sum("paid"))["paid"] == 6 * 11_800


@pytest.mark.django_db
def test_the_same_file_uploaded_twice_is_recognised():
    actor = finance_user()
    content = csv_file(line("TRX-1", "99999999999"))
    first = pf.payment_file_upload(actor=actor, name="mutasi.csv", content=content)
    colleague = finance_user(office=actor.office)
    with pytest.raises(pf.DuplicateFile) as caught:
        pf.payment_file_upload(actor=colleague, name="mutasi (1).csv", content=content)
    assert caught.value.existing == first
    # Another office may hold the same bank file (its lines then count once, by reference).
    pf.payment_file_upload(actor=finance_user(), name="mutasi.csv", content=content)
    assert PaymentFile.objects.count() == 2


# --- Pages ---------------------------------------------------------------------------------------------


def client_of(user: User) -> Client:
    client = Client()
    login_verified(client, user)
    return client


@pytest.mark.django_db
def test_the_upload_page_accepts_a_file_and_a_second_upload_points_to_the_first(
    django_capture_on_commit_callbacks,
):
    enrollment = billed_enrollment()
    actor = finance_user()
    client = client_of(actor)
    url = reverse("contributions:payment_file_upload")
    content = csv_file(line("TRX-1", enrollment.member.kpj_number), line("TRX-2", "99999999999"))
    assert client.get(url).status_code == 200

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(url, {"file": SimpleUploadedFile("mutasi.csv", content, "text/csv")})
    payment_file = PaymentFile.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("contributions:payment_file_detail", args=[payment_file.pk])
    assert len(queued) == 1
    assert (payment_file.name, payment_file.row_count, payment_file.office) == ("mutasi.csv", 2, actor.office)
    with payment_file.file.open("rb") as stored:
        assert stored.read() == content
    assert payment_file.job_id is not None
    pf.payment_file_process_run(payment_file.job_id)

    again = client.post(url, {"file": SimpleUploadedFile("lagi.csv", content, "text/csv")})
    assert again.status_code == 302
    assert again["Location"] == reverse("contributions:payment_file_detail", args=[payment_file.pk])
    assert PaymentFile.objects.count() == 1

    page = client.get(reverse("contributions:payment_file_detail", args=[payment_file.pk]))
    assert page.status_code == 200
    assert page.context["summary"]["matched"] == 1
    assert page.context["summary"]["unmatched"] == 1
    assert b'data-testid="count-matched">1<' in page.content
    only_unmatched = client.get(
        reverse("contributions:payment_file_detail", args=[payment_file.pk]), {"status": "unmatched"}
    )
    assert [row.status for row in only_unmatched.context["page_obj"]] == [Status.UNMATCHED]
    progress = client.get(
        reverse("contributions:payment_file_detail", args=[payment_file.pk]), HTTP_HX_REQUEST="true"
    )
    assert progress["HX-Refresh"] == "true"
    assert b'data-status="succeeded"' in progress.content
    listing = client.get(url, {"q": "mutasi"})
    assert [f.pk for f in listing.context["page_obj"]] == [payment_file.pk]


@pytest.mark.django_db
def test_a_refused_file_is_shown_beside_the_field_and_nothing_is_stored(monkeypatch):
    client = client_of(finance_user())
    url = reverse("contributions:payment_file_upload")
    bomb = zip_bomb(spreadsheets.MAX_XLSX_PART_BYTES + (16 << 20))
    started = time.monotonic()
    response = client.post(url, {"file": SimpleUploadedFile("bom.xlsx", bomb)})
    assert time.monotonic() - started < 2
    assert response.status_code == 400
    assert response.context["form"].errors["file"]
    monkeypatch.setattr(pf, "MAX_BYTES", 100)
    response = client.post(url, {"file": SimpleUploadedFile("besar.csv", csv_file(*[line("A", "1")] * 10))})
    assert response.status_code == 400
    assert response.context["form"].errors["file"]
    assert not PaymentFile.objects.exists()


@pytest.mark.django_db
def test_only_finance_staff_upload_files():
    operator = UserFactory.create(office=OfficeFactory.diskop_regency(MATARAM), roles=[Role.OPERATOR])
    client = client_of(operator)
    url = reverse("contributions:payment_file_upload")
    assert client.get(url).status_code == 403
    content = csv_file(line("TRX-1", "99999999999"))
    assert client.post(url, {"file": SimpleUploadedFile("m.csv", content)}).status_code == 403
    assert not PaymentFile.objects.exists()


@pytest.mark.django_db
def test_another_regions_finance_staff_cannot_see_the_file_or_its_lines():
    actor = finance_user()
    payment_file = upload_and_process(actor, csv_file(line("TRX-1", "99999999999")), name="rahasia.csv")
    outsider = client_of(finance_user(MANADO))
    assert (
        outsider.get(reverse("contributions:payment_file_detail", args=[payment_file.pk])).status_code == 404
    )
    reprocess = reverse("contributions:payment_file_reprocess", args=[payment_file.pk])
    assert outsider.post(reprocess).status_code == 404
    listing = outsider.get(reverse("contributions:payment_file_upload"))
    assert list(listing.context["page_obj"]) == []
    assert b"rahasia.csv" not in listing.content
    reconciliation = outsider.get(reverse("contributions:reconciliation"))
    assert list(reconciliation.context["page_obj"]) == []
    assert b"rahasia.csv" not in reconciliation.content
    # A colleague of the same office sees it.
    colleague = client_of(finance_user(office=actor.office))
    assert (
        colleague.get(reverse("contributions:payment_file_detail", args=[payment_file.pk])).status_code == 200
    )


@pytest.mark.django_db
def test_the_reconciliation_lists_unmatched_and_invalid_lines_oldest_first_with_the_reason():
    enrollment = billed_enrollment()
    actor = finance_user()
    older = upload_and_process(actor, csv_file(line("OLD-1", "99999999999")), name="lama.csv")
    PaymentFileLine.objects.filter(file=older).update(created_at=F("created_at") - timedelta(days=3))
    newer = upload_and_process(
        actor,
        csv_file(line("NEW-1", enrollment.member.kpj_number), line("NEW-2", "88888888888", "abc")),
        name="baru.csv",
    )
    response = client_of(actor).get(reverse("contributions:reconciliation"))
    assert response.status_code == 200
    rows = list(response.context["page_obj"])
    assert [(row.file_id, row.reference, row.status) for row in rows] == [
        (older.pk, "OLD-1", Status.UNMATCHED),
        (newer.pk, "NEW-2", Status.INVALID),
    ]
    assert all(row.message for row in rows)
    assert [(day["unmatched"], day["invalid"]) for day in response.context["days"]] == [(0, 1), (1, 0)]
    invalid_only = client_of(actor).get(reverse("contributions:reconciliation"), {"status": "invalid"})
    assert [row.reference for row in invalid_only.context["page_obj"]] == ["NEW-2"]
    assert pf.follow_up_by_office() == {str(actor.office): {"unmatched": 1, "invalid": 1}}


# --- A real worker ---------------------------------------------------------------------------------------


PEOPLE = 400
PER_PERSON = 5


@pytest.mark.worker
def test_a_file_of_2000_lines_is_processed_by_a_real_worker_and_the_totals_agree(
    celery_worker_process, files_in_tmp
):
    operator = UserFactory.create(office=OfficeFactory.diskop_regency(MATARAM), roles=[Role.OPERATOR])
    ids = make_submitted_enrollments(PEOPLE, regency=MATARAM, operator=operator)
    Enrollment.objects.filter(pk__in=ids).update(status="active", coverage_start=MONTHS[0])
    Member.objects.filter(enrollments__pk__in=ids).update(
        kpj_number=Concat(Value("5"), LPad(Cast("id", CharField()), 10, Value("0")))
    )
    for month in MONTHS:
        run_month(month)
    kpjs = list(Member.objects.filter(enrollments__pk__in=ids).values_list("kpj_number", flat=True))
    rows = [
        line(f"BRI-{n:05d}", kpjs[n % PEOPLE], "Rp 11.800", "20/03/2026") for n in range(PEOPLE * PER_PERSON)
    ]
    content = csv_file(*rows)
    actor = UserFactory.create(office=operator.office, roles=[Role.FINANCE])

    # Not inside a transaction here, so the task is queued as soon as the rows are committed.
    payment_file = pf.payment_file_upload(actor=actor, name="bri-maret.csv", content=content)
    assert payment_file.row_count == PEOPLE * PER_PERSON == 2_000
    assert payment_file.job_id is not None
    celery_worker_process(extra_env={"DATA_DIR": str(files_in_tmp)})
    job = Job.objects.get(pk=payment_file.job_id)

    def finished() -> bool:
        job.refresh_from_db()
        return job.is_finished

    wait_until(finished, timeout=240, interval=0.5)
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert (job.total, job.done, job.failed) == (2_000, 2_000, 0)
    assert payment_file.lines.count() == 2_000
    assert payment_file.lines.filter(status=Status.MATCHED).count() == 2_000
    expected = 2_000 * 11_800
    assert job.result["paid"] == expected
    from_file = Payment.objects.filter(source=Payment.Source.FILE)
    assert from_file.count() == 2_000
    assert from_file.aggregate(total=Sum("amount"))["total"] == expected
    assert payment_file.lines.aggregate(total=Sum("payment__amount"))["total"] == expected
    # Each person's 5 x 11.800 pays the 3 bills; the rest is credit for the next months.
    assert Bill.objects.aggregate(paid=Sum("paid"))["paid"] == PEOPLE * 3 * 11_800
    assert set(Bill.objects.values_list("paid", flat=True)) == {11_800}
