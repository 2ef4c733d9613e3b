"""Payment files from banks and regional treasuries: reading them as people write them, and turning their
lines into payments, a chunk per transaction.

Reading: the file is read by umkm_enroll/spreadsheets.py (encodings, separators, XLSX safety checks, dates).
The header row is found among the first HEADER_SEARCH_ROWS rows (the title rows above it are skipped) by
the names people give the columns: "No Referensi", "Ref", "ID Transaksi"; "No KPJ"; "Jumlah", "Nominal";
"Tanggal", "Tgl Bayar"; and the same with dots, brackets or other spacing. Amounts are whole rupiah written
the Indonesian way ("Rp 11.800", "11.800,00") or plainly ("11800"). Formulas are never calculated: a formula
cell is an invalid value that says how to export values.

Processing (`payment_file_process_run`, the body of a Job): every data row becomes one PaymentFileLine,
kept whatever became of it. A line whose KPJ number belongs to an enrollment of the uploader's area that has
bills goes through `payment_record` (source "file"), which is idempotent by reference: the same line in two
files, twice in one file, or a file processed again, is one payment. A chunk's lines, payments and the
job's cursor commit together, so a killed worker loses at most one chunk and the job resumes after the last
committed one. Processing a file again re-checks only its unmatched and invalid lines.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, time, timedelta
from itertools import islice
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.models import Enrollment, EnrollmentStatus, Member, Payer
from umkm_enroll.audit.services import audit_record
from umkm_enroll.jobs import services as jobs
from umkm_enroll.jobs.models import Job
from umkm_enroll.spreadsheets import (
    CSV,
    XLSX,
    CellError,
    SpreadsheetError,
    cell_text,
    csv_rows,
    decode_csv,
    is_formula,
    normalize_header,
    parse_date,
    sniff_format,
    xlsx_row_bound,
    xlsx_rows,
)
from umkm_enroll.web.fields import parse_rupiah

from .models import Bill, Payment, SponsorProgramme
from .models_files import PaymentFile, PaymentFileLine
from .payments import PARTICIPANT_PAYERS, PaymentError, payment_record

logger = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
HEADER_SEARCH_ROWS = 30
# What is kept of a cell as written, for the lines table.
MAX_RAW_CHARS = 200
MAX_AMOUNT = 10**12
EARLIEST = date(2000, 1, 1)
CHUNK = 500


REQUIRED = ("reference", "kpj", "amount", "date")
# Header names as people write them, after `normalize_header` (lower case, letters and digits only).
HEADERS: dict[str, frozenset[str]] = {
    "reference": frozenset(
        {
            "no referensi",
            "nomor referensi",
            "no ref",
            "ref",
            "ref no",
            "referensi",
            "reference",
            "reference no",
            "id transaksi",
            "no transaksi",
            "nomor transaksi",
            "kode transaksi",
            "transaction id",
            "no bukti",
            "nomor bukti",
        }
    ),
    "kpj": frozenset({"no kpj", "nomor kpj", "kpj", "no kartu kpj", "nomor kartu kpj", "kpj number"}),
    "amount": frozenset(
        {
            "jumlah",
            "jumlah rp",
            "jumlah bayar",
            "jumlah pembayaran",
            "jumlah iuran",
            "nominal",
            "nominal rp",
            "amount",
            "amount rp",
            "iuran",
            "nilai",
            "total bayar",
        }
    ),
    "date": frozenset(
        {
            "tanggal",
            "tgl",
            "tgl bayar",
            "tanggal bayar",
            "tanggal pembayaran",
            "tgl pembayaran",
            "tanggal transaksi",
            "tgl transaksi",
            "date",
            "payment date",
            "transaction date",
        }
    ),
    "name": frozenset({"nama", "nama peserta", "nama lengkap", "name"}),
}
# How each required column is named in messages, with the header people should write.
FIELD_LABELS = {
    "reference": gettext_lazy("reference (e.g. “No Referensi”)"),
    "kpj": gettext_lazy("KPJ number (e.g. “No KPJ”)"),
    "amount": gettext_lazy("amount (e.g. “Jumlah”)"),
    "date": gettext_lazy("payment date (e.g. “Tanggal”)"),
}
PLAIN_TYPES = (str, int, float, date, time, timedelta, type(None))


# A file refused (or a processing stopped), with a message for the user.
PaymentFileError = SpreadsheetError


class DuplicateFile(PaymentFileError):
    """The same file (by SHA-256) was uploaded before by the office."""

    def __init__(self, existing: PaymentFile) -> None:
        super().__init__(_("This file was already uploaded."))
        self.existing = existing


# --- Reading ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Where the data is in a file: format, text encoding and separator (CSV), header row, columns."""

    format: str
    header_row: int
    columns: dict[str, int]
    headers: dict[str, str]
    encoding: str = ""
    delimiter: str = ""
    row_count: int = 0


@dataclass
class ParsedLine:
    row_number: int
    raw: dict[str, str]
    reference: str = ""
    kpj: str = ""
    amount: int | None = None
    received_on: date | None = None
    problems: list[str] = field(default_factory=list)


class HeaderMissing(PaymentFileError):
    def __init__(self, found: set[str]) -> None:
        self.found = found
        missing = [str(FIELD_LABELS[name]) for name in REQUIRED if name not in found]
        if found:
            message = _(
                "The header row lacks a column for: %(missing)s. Add the column with one of these names "
                "and upload the file again."
            ) % {"missing": "; ".join(missing)}
        else:
            message = _(
                "No header row was found in the first %(rows)s rows: the file needs the columns "
                "“No Referensi”, “No KPJ”, “Jumlah” and “Tanggal” (similar names are recognised too)."
            ) % {"rows": HEADER_SEARCH_ROWS}
        super().__init__(message)


def find_header(rows: list[tuple[int, list[Any]]]) -> tuple[int, dict[str, int], dict[str, str]]:
    """The header row (its number, field -> column, field -> header as written) among `rows`."""
    best: set[str] = set()
    for number, cells in rows:
        found: dict[str, int] = {}
        for index, cell in enumerate(cells):
            key = normalize_header(cell)
            if not key:
                continue
            for name, aliases in HEADERS.items():
                if name not in found and key in aliases:
                    found[name] = index
                    break
        present = {name for name in REQUIRED if name in found}
        if len(present) == len(REQUIRED):
            return number, found, {name: cell_text(cells[index]) for name, index in found.items()}
        if len(present) > len(best):
            best = present
    raise HeaderMissing(best)


def raw_rows(content: bytes, layout: Layout) -> Iterator[tuple[int, list[Any]]]:
    if layout.format == XLSX:
        return xlsx_rows(content)
    text, _encoding = decode_csv(content)
    return csv_rows(text, layout.delimiter)


def detect_layout(content: bytes) -> Layout:
    """Format, encoding, separator and header of a file (reads only its first rows)."""
    kind = sniff_format(content)
    if kind == XLSX:
        number, columns, headers = find_header(list(islice(xlsx_rows(content), HEADER_SEARCH_ROWS)))
        return Layout(format=XLSX, header_row=number, columns=columns, headers=headers)
    text, encoding = decode_csv(content)
    failures: list[HeaderMissing] = []
    for delimiter in (";", ",", "\t", "|"):
        try:
            number, columns, headers = find_header(
                list(islice(csv_rows(text, delimiter), HEADER_SEARCH_ROWS))
            )
        except HeaderMissing as missing:
            failures.append(missing)
            continue
        return Layout(
            format=CSV,
            header_row=number,
            columns=columns,
            headers=headers,
            encoding=encoding,
            delimiter=delimiter,
        )
    raise max(failures, key=lambda failure: len(failure.found))


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _cell(cells: list[Any], layout: Layout, name: str) -> Any:
    index = layout.columns.get(name)
    return cells[index] if index is not None and index < len(cells) else None


def data_rows(content: bytes, layout: Layout) -> Iterator[tuple[int, list[Any]]]:
    """The rows under the header that hold a payment's data (rows whose four columns are all empty,
    such as spacing rows, are not payment lines)."""
    for number, cells in raw_rows(content, layout):
        if number <= layout.header_row:
            continue
        if all(_blank(_cell(cells, layout, name)) for name in REQUIRED):
            continue
        yield number, cells


def too_many_rows_message() -> str:
    return _("The file has more than %(limit)s payment lines: split it into smaller files.") % {
        "limit": f"{MAX_ROWS:,}".replace(",", ".")
    }


def count_data_rows(content: bytes, layout: Layout) -> int:
    """The number of payment lines, refusing more than MAX_ROWS or none."""
    count = 0
    for _row in data_rows(content, layout):
        count += 1
        if count > MAX_ROWS:
            raise PaymentFileError(too_many_rows_message())
    if not count:
        raise PaymentFileError(
            _("The file has a header row (row %(row)s) but no payment lines under it.")
            % {"row": layout.header_row}
        )
    return count


def inspect(content: bytes) -> Layout:
    """Check a whole file before it is accepted: size, layout, and the number of payment lines (exact for
    a CSV; for a workbook a bound from its row tags, the exact count being the job's first step)."""
    if not content:
        raise PaymentFileError(_("The file is empty."))
    if len(content) > MAX_BYTES:
        raise PaymentFileError(file_too_large_message())
    layout = detect_layout(content)
    if layout.format == XLSX:
        if xlsx_row_bound(content) - layout.header_row > MAX_ROWS:
            raise PaymentFileError(too_many_rows_message())
        return layout
    return replace(layout, row_count=count_data_rows(content, layout))


def file_too_large_message() -> str:
    return _("The file is larger than %(size)s MB: split it into smaller files.") % {
        "size": MAX_BYTES // (1024 * 1024)
    }


# --- Values -------------------------------------------------------------------------------------------

_SCIENTIFIC = re.compile(r"^[0-9]+(?:[.,][0-9]+)?[eE][+-]?[0-9]+$")


def parse_amount(value: Any) -> int:
    """Whole rupiah from a cell: 11800, 11800.0, "11.800", "Rp 11.800", "11.800,00", "Rp11.800,-"."""
    if isinstance(value, bool):
        raise CellError("unreadable")
    if isinstance(value, int):
        amount = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise CellError("cents")
        amount = int(value)
    else:
        try:
            amount = parse_rupiah(cell_text(value))
        except ValueError as error:
            raise CellError(str(error)) from None
    if amount <= 0:
        raise CellError("not_positive")
    if amount > MAX_AMOUNT:
        raise CellError("too_large")
    return amount


def parse_kpj(value: Any, *, pattern: str, digits: int) -> str:
    if isinstance(value, bool):
        raise CellError("malformed")
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        # A number cell: Excel dropped any leading zero.
        text = str(int(value)).zfill(digits)
    else:
        text = cell_text(value)
        if _SCIENTIFIC.fullmatch(text):
            raise CellError("scientific")
        text = re.sub(r"[\s.\-]", "", unicodedata.normalize("NFKC", text))
    if not text:
        raise CellError("empty")
    if not re.fullmatch(pattern, text, flags=re.ASCII):
        raise CellError("malformed")
    return text


def parse_reference(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = cell_text(value)
    if _SCIENTIFIC.fullmatch(text):
        raise CellError("scientific")
    cleaned = " ".join(text.split()).upper()
    if not cleaned:
        raise CellError("empty")
    if len(cleaned) > 100:
        raise CellError("too_long")
    return cleaned


def cell_message(name: str, error: CellError, *, column: str, value: str) -> str:
    """What is wrong with a value, naming the column as written in the file, and the fix."""
    params = {"column": column, "value": value[:40], **error.params}
    if error.code == "scientific":
        return (
            _(
                "The column “%(column)s” shows %(value)s: Excel shortened the number. Format the column as "
                "text and export the file again."
            )
            % params
        )
    messages: dict[tuple[str, str], str] = {
        ("reference", "empty"): _(
            "No reference: fill in the column “%(column)s” with the transaction number from the bank or "
            "treasury."
        ),
        ("reference", "too_long"): _(
            "The reference in the column “%(column)s” is longer than 100 characters: check it."
        ),
        ("kpj", "empty"): _(
            "No KPJ number: fill in the column “%(column)s” with the participant's KPJ number."
        ),
        ("kpj", "malformed"): _(
            "The KPJ number “%(value)s” in the column “%(column)s” does not have the expected format: check "
            "it on the participant's card."
        ),
        ("amount", "empty"): _("No amount: fill in the column “%(column)s” in whole rupiah, e.g. 11.800."),
        ("amount", "unreadable"): _(
            "The amount “%(value)s” in the column “%(column)s” cannot be read: write whole rupiah, e.g. "
            "11.800 or 11800."
        ),
        ("amount", "cents"): _(
            "The amount “%(value)s” in the column “%(column)s” has cents: write whole rupiah, e.g. 11.800."
        ),
        ("amount", "not_positive"): _(
            "The amount “%(value)s” in the column “%(column)s” must be above zero: a refund is recorded as "
            "a reversal on the participant's statement."
        ),
        ("amount", "too_large"): _(
            "The amount “%(value)s” in the column “%(column)s” is too large: check it."
        ),
        ("date", "empty"): _("No payment date: fill in the column “%(column)s” as dd/mm/yyyy."),
        ("date", "unreadable"): _(
            "The date “%(value)s” in the column “%(column)s” cannot be read: write it as dd/mm/yyyy, e.g. "
            "15/01/2026."
        ),
        ("date", "future"): _(
            "The payment date %(date)s in the column “%(column)s” is in the future: check it."
        ),
        ("date", "too_old"): _(
            "The payment date %(date)s in the column “%(column)s” is before the year 2000: check it."
        ),
    }
    template = messages.get((name, error.code)) or _(
        "The value “%(value)s” in the column “%(column)s” cannot be read."
    )
    return template % params


def formula_message(column: str, value: Any) -> str:
    return _(
        "The column “%(column)s” holds a formula (%(formula)s), which is never calculated here: save the "
        "sheet with values only (Paste Special, Values) and upload it again."
    ) % {"column": column, "formula": cell_text(value)[:40]}


def read_line(
    number: int, cells: list[Any], layout: Layout, *, today: date, kpj_pattern: str, kpj_digits: int
) -> ParsedLine:
    """One data row: its raw values, what could be read, and a message per value that could not."""
    raw = {name: cell_text(_cell(cells, layout, name))[:MAX_RAW_CHARS] for name in layout.columns}
    line = ParsedLine(row_number=number, raw=raw)
    for name in REQUIRED:
        value = _cell(cells, layout, name)
        column = layout.headers.get(name, name)
        if is_formula(value):
            line.problems.append(formula_message(column, value))
            continue
        try:
            if name == "reference":
                line.reference = parse_reference(value)
            elif name == "kpj":
                line.kpj = parse_kpj(value, pattern=kpj_pattern, digits=kpj_digits)
            elif name == "amount":
                line.amount = parse_amount(value)
            else:
                day = parse_date(value)
                if day > today:
                    raise CellError("future", date=day.strftime("%d/%m/%Y"))
                if day < EARLIEST:
                    raise CellError("too_old", date=day.strftime("%d/%m/%Y"))
                line.received_on = day
        except CellError as error:
            line.problems.append(cell_message(name, error, column=column, value=raw[name]))
    return line


# --- Upload -------------------------------------------------------------------------------------------


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _earlier_upload(actor: Any, digest: str) -> PaymentFile | None:
    files = PaymentFile.objects.filter(sha256=digest)
    if actor.office_id is None:
        return files.filter(office__isnull=True, uploaded_by=actor).first()
    return files.filter(office_id=actor.office_id).first()


def _queue(job: Job) -> None:
    from .tasks_files import payment_file_process

    transaction.on_commit(lambda: payment_file_process.delay(job.pk))


def _new_job(payment_file: PaymentFile, actor: Any) -> Job:
    job = jobs.job_create(kind=Job.Kind.PAYMENT_FILE, total=payment_file.row_count, actor=actor)
    job.params = {"file": payment_file.pk}
    job.result = {"cursor": 0}
    job.save(update_fields=["params", "result"])
    payment_file.job = job
    payment_file.save(update_fields=["job"])
    _queue(job)
    return job


def payment_file_upload(*, actor: Any, name: str, content: bytes) -> PaymentFile:
    """Check and store a payment file and queue its processing; the same file again is refused with
    `DuplicateFile`, which names the earlier upload."""
    if len(content) > MAX_BYTES:
        raise PaymentFileError(file_too_large_message())
    digest = sha256_of(content)
    earlier = _earlier_upload(actor, digest)
    if earlier is not None:
        raise DuplicateFile(earlier)
    layout = inspect(content)
    name = (name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "berkas")[:255]
    payment_file = PaymentFile(
        name=name,
        sha256=digest,
        size=len(content),
        format=layout.format,
        encoding=layout.encoding,
        delimiter=layout.delimiter,
        header_row=layout.header_row,
        columns=layout.headers,
        row_count=layout.row_count,
        office_id=actor.office_id,
        uploaded_by=actor,
    )
    with transaction.atomic():
        payment_file.file.save(f"{digest[:32]}.{layout.format}", ContentFile(content), save=False)
        try:
            with transaction.atomic():
                payment_file.save()
        except IntegrityError:
            # The same file uploaded twice at once: the one stored first counts.
            payment_file.file.delete(save=False)
            earlier = _earlier_upload(actor, digest)
            if earlier is None:
                raise
            raise DuplicateFile(earlier) from None
        _new_job(payment_file, actor)
        audit_record(
            actor=actor,
            action="contributions.payment_file.uploaded",
            target=payment_file,
            changes={"rows": (None, layout.row_count), "sha256": (None, digest)},
        )
    return payment_file


def payment_file_reprocess(*, payment_file: PaymentFile, actor: Any) -> Job:
    """Check a file's unmatched and invalid lines again (after KPJ numbers, enrollments or bills were
    put right); lines already paid stay as they are."""
    with transaction.atomic():
        locked = (
            PaymentFile.objects.select_for_update(of=("self",)).select_related("job").get(pk=payment_file.pk)
        )
        if locked.job is not None and not locked.job.is_finished:
            raise PaymentFileError(_("The file is still being processed: wait until the job has finished."))
        finished_well = locked.job is not None and locked.job.status == Job.Status.SUCCEEDED
        if finished_well and not locked.lines.to_follow_up().exists():
            raise PaymentFileError(
                _("Every line of this file is paid or already recorded: nothing to check.")
            )
        job = _new_job(locked, actor)
        audit_record(actor=actor, action="contributions.payment_file.reprocessed", target=locked)
    return job


# --- Processing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    enrollment: Enrollment | None
    programme: SponsorProgramme | None
    payer: str


def match_targets(kpjs: set[str], actor: Any) -> dict[str, Target | str]:
    """What each KPJ number pays: a target, or why it cannot be matched (never naming a participant the
    actor may not see)."""
    known = dict(Member.objects.filter(kpj_number__in=kpjs).values_list("kpj_number", "pk"))
    visible = set(Member.objects.visible_to(actor).filter(pk__in=known.values()).values_list("pk", flat=True))
    chosen: dict[int, Enrollment] = {}
    candidates = (
        Enrollment.objects.filter(member_id__in=visible)
        .select_related("member", "sponsor_programme")
        .order_by("member_id", "-created_at", "-id")
    )
    for enrollment in candidates:
        current = chosen.get(enrollment.member_id)
        # The enrollment that is not ended, else the latest one (whose arrears may still be paid).
        if current is None or (
            current.status == EnrollmentStatus.ENDED and enrollment.status != EnrollmentStatus.ENDED
        ):
            chosen[enrollment.member_id] = enrollment
    billed: dict[int, set[str]] = {}
    for enrollment_id, payer in (
        Bill.objects.filter(enrollment__in=[e.pk for e in chosen.values()])
        .values_list("enrollment_id", "payer")
        .distinct()
    ):
        billed.setdefault(enrollment_id, set()).add(payer)
    result: dict[str, Target | str] = {}
    for kpj in kpjs:
        member_id = known.get(kpj)
        found = chosen.get(member_id) if member_id is not None else None
        if member_id is None:
            result[kpj] = _(
                "No participant has the KPJ number %(kpj)s: check the number with the payer, or register "
                "and enroll the person first."
            ) % {"kpj": kpj}
        elif member_id not in visible:
            result[kpj] = _(
                "The KPJ number %(kpj)s is registered elsewhere, outside your office's area: send this line "
                "to the Diskop office or BPJAMSOSTEK branch of the participant."
            ) % {"kpj": kpj}
        elif found is None:
            result[kpj] = _(
                "The participant with the KPJ number %(kpj)s has no enrollment: check the participant's page."
            ) % {"kpj": kpj}
        else:
            payers = billed.get(found.pk, set())
            if found.payer == Payer.SPONSOR and found.sponsor_programme and "sponsor" in payers:
                result[kpj] = Target(enrollment=None, programme=found.sponsor_programme, payer="sponsor")
            elif found.payer in PARTICIPANT_PAYERS and found.payer in payers:
                result[kpj] = Target(enrollment=found, programme=None, payer=found.payer)
            elif "self" in payers:
                result[kpj] = Target(enrollment=found, programme=None, payer="self")
            else:
                result[kpj] = _(
                    "The participant with the KPJ number %(kpj)s has no bills yet (enrollment: %(status)s): "
                    "process the file again after the monthly billing."
                ) % {"kpj": kpj, "status": found.get_status_display()}
    return result


def _duplicate_message(payment: Payment, payment_file: PaymentFile, seen: dict[int, int]) -> str:
    row = seen.get(payment.pk)
    if row is None:
        row = (
            PaymentFileLine.objects.filter(
                payment=payment, file=payment_file, status=PaymentFileLine.Status.MATCHED
            )
            .values_list("row_number", flat=True)
            .first()
        )
    if row is not None:
        return _("The same payment is on row %(row)s of this file: it counts once.") % {"row": row}
    return _("This reference was already recorded on %(date)s: it counts once.") % {
        "date": timezone.localtime(payment.created_at).strftime("%d/%m/%Y")
    }


def _outcome(
    line: ParsedLine,
    targets: dict[str, Target | str],
    *,
    actor: Any,
    payment_file: PaymentFile,
    seen: dict[int, int],
) -> tuple[str, str, Payment | None]:
    Status = PaymentFileLine.Status
    if line.problems:
        return Status.INVALID, " ".join(line.problems), None
    target = targets[line.kpj]
    if isinstance(target, str):
        return Status.UNMATCHED, target, None
    assert line.amount is not None
    assert line.received_on is not None
    note = _("File “%(name)s”, row %(row)s") % {"name": payment_file.name, "row": line.row_number}
    try:
        recorded = payment_record(
            reference=line.reference,
            amount=line.amount,
            received_on=line.received_on,
            actor=actor,
            enrollment=target.enrollment,
            programme=target.programme,
            payer=target.payer,
            source=Payment.Source.FILE,
            note=note[:300],
        )
    except PaymentError as error:
        return Status.INVALID, str(error), None
    if recorded.created:
        seen[recorded.payment.pk] = line.row_number
        message = ""
        if target.programme is not None:
            message = _("Paid to the sponsor programme %(programme)s.") % {"programme": target.programme}
        elif recorded.credit:
            message = _("Rp %(credit)s is held as credit for the next bills.") % {
                "credit": f"{recorded.credit:,}".replace(",", ".")
            }
        return Status.MATCHED, message, recorded.payment
    return Status.DUPLICATE, _duplicate_message(recorded.payment, payment_file, seen), recorded.payment


def process_chunk(
    *, payment_file: PaymentFile, rows: list[tuple[int, list[Any]]], layout: Layout, actor: Any
) -> Counter[str]:
    """Store a chunk's lines and record their payments; lines already paid in an earlier run stay."""
    today = timezone.localdate()
    existing = {
        line.row_number: line
        for line in PaymentFileLine.objects.filter(
            file=payment_file, row_number__in=[number for number, _cells in rows]
        )
    }
    parsed = [
        read_line(
            number,
            cells,
            layout,
            today=today,
            kpj_pattern=settings.KPJ_PATTERN,
            kpj_digits=settings.KPJ_GENERATED_DIGITS,
        )
        for number, cells in rows
    ]
    todo = [
        line
        for line in parsed
        if line.row_number not in existing or existing[line.row_number].status in PaymentFileLine.FOLLOW_UP
    ]
    targets = match_targets({line.kpj for line in todo if not line.problems}, actor)
    now = timezone.now()
    counts: Counter[str] = Counter()
    seen: dict[int, int] = {}
    created: list[PaymentFileLine] = []
    changed: list[PaymentFileLine] = []
    for line in todo:
        status, message, payment = _outcome(line, targets, actor=actor, payment_file=payment_file, seen=seen)
        row = existing.get(line.row_number) or PaymentFileLine(
            file=payment_file, row_number=line.row_number, created_at=now
        )
        row.raw = line.raw
        row.reference = line.reference
        row.kpj = line.kpj
        row.amount = line.amount
        row.received_on = line.received_on
        row.status = status
        row.message = message[:500]
        row.payment = payment
        row.checked_at = now
        (changed if row.pk else created).append(row)
        counts[status] += 1
    PaymentFileLine.objects.bulk_create(created)
    PaymentFileLine.objects.bulk_update(
        changed,
        ["raw", "reference", "kpj", "amount", "received_on", "status", "message", "payment", "checked_at"],
    )
    counts["kept"] += len(parsed) - len(todo)
    return counts


def _content_of(payment_file: PaymentFile) -> bytes:
    try:
        with payment_file.file.open("rb") as handle:
            return handle.read()
    except OSError as error:
        raise PaymentFileError(_("The stored file cannot be read: upload it again.")) from error


def line_counts(payment_file: PaymentFile) -> dict[str, int]:
    rows = payment_file.lines.order_by().values("status").annotate(n=Count("pk"))
    counts = dict.fromkeys(PaymentFileLine.Status.values, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def file_summary(payment_file: PaymentFile) -> dict[str, Any]:
    """Counts per status and the money the file paid (its matched lines)."""
    counts = line_counts(payment_file)
    paid = payment_file.lines.filter(status=PaymentFileLine.Status.MATCHED).aggregate(
        total=Coalesce(Sum("amount"), 0)
    )["total"]
    return {**counts, "paid": paid, "lines": sum(counts.values())}


def payment_file_process_run(job_id: int) -> None:
    """Process a file's job, a chunk per transaction; resumable after any crash (see the module)."""
    if not jobs.job_start(job_id=job_id):
        return
    job = Job.objects.select_related("created_by").get(pk=job_id)
    actor = job.created_by
    if actor is None:
        jobs.job_fail(job_id=job_id, error=_("The user who started this job no longer exists."))
        return
    try:
        payment_file = PaymentFile.objects.get(pk=job.params["file"])
        content = _content_of(payment_file)
        layout = detect_layout(content)
        if not payment_file.row_count:
            # A workbook is counted here rather than during the upload (reading its cells takes time).
            payment_file.row_count = count_data_rows(content, layout)
            payment_file.save(update_fields=["row_count"])
            Job.objects.filter(pk=job_id, total=0).update(total=payment_file.row_count)
        rows = data_rows(content, layout)
        position = 0
        while True:
            with transaction.atomic():
                job = Job.objects.select_for_update().get(pk=job_id)
                cursor = job.result.get("cursor", 0)
                if cursor < position:
                    rows, position = data_rows(content, layout), 0
                if cursor > position:
                    # Another run committed chunks meanwhile, or this one resumes: skip what is done.
                    next(islice(rows, cursor - position, cursor - position), None)
                    position = cursor
                chunk = list(islice(rows, CHUNK))
                if not chunk:
                    break
                position += len(chunk)
                counts = process_chunk(payment_file=payment_file, rows=chunk, layout=layout, actor=actor)
                job.result = {**job.result, "cursor": position}
                job.done = min(job.done + len(chunk), job.total or job.done + len(chunk))
                job.failed += (
                    counts[PaymentFileLine.Status.UNMATCHED] + counts[PaymentFileLine.Status.INVALID]
                )
                jobs.job_heartbeat(job)
                job.save(update_fields=["result", "done", "failed", "heartbeat_at"])
    except PaymentFileError as error:
        jobs.job_fail(job_id=job_id, error=str(error))
        return
    summary = file_summary(payment_file)
    jobs.job_succeed(job_id=job_id, result={**Job.objects.get(pk=job_id).result, **summary})


# --- Reading for pages --------------------------------------------------------------------------------


def payment_files_for(user: Any):
    return PaymentFile.objects.visible_to(user).select_related("uploaded_by", "job", "office")


def lines_to_follow_up(user: Any):
    """Unmatched and invalid lines of the files the user sees, oldest first."""
    return (
        PaymentFileLine.objects.filter(file__in=PaymentFile.objects.visible_to(user).values("pk"))
        .to_follow_up()
        .select_related("file")
        .order_by("created_at", "id")
    )


def follow_up_by_office() -> dict[str, dict[str, int]]:
    """Lines to follow up per office (for the daily log line)."""
    rows = (
        PaymentFileLine.objects.to_follow_up()
        .order_by()
        .values("file__office__name")
        .annotate(
            unmatched=Count("pk", filter=Q(status=PaymentFileLine.Status.UNMATCHED)),
            invalid=Count("pk", filter=Q(status=PaymentFileLine.Status.INVALID)),
        )
    )
    return {
        row["file__office__name"] or "-": {"unmatched": row["unmatched"], "invalid": row["invalid"]}
        for row in rows
    }
