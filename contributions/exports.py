"""Arrears: the list of enrollments with bills due and not fully paid, and its export as CSV or XLSX.

The list is one aggregate query (bills GROUP BY enrollment): months unpaid, amount owed, the PU late fee
(contributions.arrears.late_fee_of, summed in SQL with the same integer arithmetic) and the oldest unpaid
month. The payer and sponsor-programme filters choose bills: the amounts are what that payer owes.

An export of up to `direct_limit()` rows is answered at once; a larger one is a Job (kind
"arrears_export") holding the filters, the ordered enrollment ids (taken when it is asked for, so the
file has the list's rows in the list's order) and the options, never the search text or other personal
data. The task writes the file a chunk per transaction: the job's cursor and the file's committed length
are saved together, and a resumed job cuts the file back to that length first, so a killed worker loses
at most one chunk and nothing is written twice.

Every exported cell is formula-safe (a text starting with = + - @, a tab or a line break gets an
apostrophe in CSV and is stored as text in XLSX) and NIKs are masked. Each export is audited with its
filters and row count.
"""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, fields
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, ExtractDay, ExtractMonth, ExtractYear, Greatest
from django.db.models.lookups import LessThan
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.models import Enrollment
from members.names import name_tokens
from members.selectors import classify
from umkm_enroll.audit.masking import mask_nik
from umkm_enroll.audit.services import audit_record
from umkm_enroll.jobs import services as jobs
from umkm_enroll.jobs.models import Job

from . import tariffs

CSV = "csv"
XLSX = "xlsx"
FORMATS = (CSV, XLSX)
DELIMITERS = (";", ",")
CONTENT_TYPES = {
    CSV: "text/csv; charset=utf-8",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXPORTED = "contributions.arrears.exported"
DOWNLOADED = "contributions.arrears.downloaded"
# A job started this many times (worker deaths, retries) is given up instead of being queued forever.
MAX_ATTEMPTS = 10

SORTS: dict[str, tuple[str, ...]] = {
    "-owed": ("-owed", "-months_unpaid", "pk"),
    "owed": ("owed", "months_unpaid", "pk"),
    "-months": ("-months_unpaid", "-owed", "pk"),
    "months": ("months_unpaid", "owed", "pk"),
}
DEFAULT_SORT = "-owed"

# Excel, LibreOffice and Google Sheets read a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# Control characters XML (and so XLSX) cannot hold.
_NOT_XML = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32)])


def direct_limit() -> int:
    """Exports up to this many rows are answered at once; larger ones run as a background job."""
    return int(getattr(settings, "ARREARS_EXPORT_DIRECT_LIMIT", 5_000))


def chunk_size() -> int:
    return int(getattr(settings, "ARREARS_EXPORT_CHUNK", 2_000))


def keep_days() -> int:
    """Export files are deleted this many days after they were made (PDP: keep no longer than needed)."""
    return int(getattr(settings, "ARREARS_EXPORT_KEEP_DAYS", 7))


# --- the list ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArrearsFilters:
    q: str = ""
    regency: str = ""
    payer: str = ""
    programme: int | None = None
    kind: str = ""
    status: str = ""
    min_months: int | None = None
    sort: str = DEFAULT_SORT

    def as_params(self) -> dict[str, Any]:
        """What a job keeps: everything but the search text (a name or a NIK is personal data)."""
        return {key: value for key, value in asdict(self).items() if key != "q"}

    @classmethod
    def from_params(cls, data: dict[str, Any]) -> ArrearsFilters:
        names = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in names})

    def for_audit(self) -> dict[str, Any]:
        chosen = {key: value for key, value in asdict(self).items() if value not in ("", None)}
        if "q" in chosen:
            chosen["q"] = "***"
        return chosen


def _late_fee(today: date) -> Case:
    """contributions.tariffs.late_fee of each bill row, in SQL: round half up of balance x rate x months
    late / 10.000, where a started month counts (the due date's day passed) and a late bill is at least
    one month late. Integers throughout: floor((2 x balance x rate x months + B) / 2B)."""
    due = "bills__due_date"
    months = Greatest(
        Value(today.year * 12 + today.month)
        - Cast(ExtractYear(due), IntegerField()) * 12
        - Cast(ExtractMonth(due), IntegerField())
        + Case(When(LessThan(ExtractDay(due), today.day), then=Value(1)), default=Value(0)),
        Value(1),
    )
    rate = settings.PU_LATE_FEE_BASIS_POINTS
    fee = ExpressionWrapper(
        ((F("bills__amount") - F("bills__paid")) * (2 * rate) * months + tariffs.BASIS) / (2 * tariffs.BASIS),
        output_field=BigIntegerField(),
    )
    return Case(When(kind=tariffs.PU, then=fee), default=Value(0), output_field=BigIntegerField())


def _search(rows: QuerySet[Enrollment], q: str) -> QuerySet[Enrollment]:
    from members.services import nik_digest

    query = classify(q)
    if query.kind == "nik":
        return rows.filter(member__nik_digest=nik_digest(query.value))
    if query.kind == "phone":
        return rows.filter(member__phone=query.value)
    if query.kind == "kpj":
        return rows.filter(member__kpj_number=query.value)
    for word in name_tokens(query.value):
        rows = rows.filter(member__name_search__contains=word)
    return rows


def arrears_rows(*, user: Any, filters: ArrearsFilters, today: date) -> QuerySet[Enrollment]:
    """Enrollments of the user's area with bills due before `today` and not fully paid, one row each,
    annotated with months_unpaid, owed, late_fee and oldest_month (one GROUP BY query)."""
    open_bills = Q(bills__due_date__lt=today, bills__paid__lt=F("bills__amount"))
    if filters.payer:
        open_bills &= Q(bills__payer=filters.payer)
    if filters.programme:
        open_bills &= Q(bills__sponsor_programme_id=filters.programme)
    # One filter() call: the aggregates below are computed over exactly these bills.
    rows: QuerySet[Enrollment] = Enrollment.objects.visible_to(user).filter(open_bills)
    if filters.regency:
        rows = rows.filter(member__regency_id=filters.regency)
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.q.strip():
        rows = _search(rows, filters.q)
    annotated: Any = rows.annotate(
        months_unpaid=Count("bills__month", distinct=True),
        owed=Sum(F("bills__amount") - F("bills__paid")),
        late_fee=Sum(_late_fee(today)),
        oldest_month=Min("bills__month"),
    )
    if filters.min_months:
        annotated = annotated.filter(months_unpaid__gte=filters.min_months)
    return (
        annotated.select_related("member", "member__regency", "sponsor_programme")
        .defer("member__nik_ciphertext", "member__kk_ciphertext")
        .order_by(*SORTS.get(filters.sort, SORTS[DEFAULT_SORT]))
    )


# --- cells and files ---------------------------------------------------------------------------------------

COLUMNS = [
    gettext_lazy("Enrollment no."),
    gettext_lazy("Name"),
    gettext_lazy("NIK (masked)"),
    gettext_lazy("KPJ number"),
    gettext_lazy("Regency/city"),
    gettext_lazy("Participant kind"),
    gettext_lazy("Payer"),
    gettext_lazy("Sponsor programme"),
    gettext_lazy("Months unpaid"),
    gettext_lazy("Oldest unpaid month"),
    gettext_lazy("Amount owed (Rp)"),
    gettext_lazy("PU late fee (Rp)"),
    gettext_lazy("Cover status"),
]

Cell = str | int


def header() -> list[Cell]:
    return [str(label) for label in COLUMNS]


def row_of(enrollment: Any) -> list[Cell]:
    """One exported row of an annotated enrollment from `arrears_rows` (the NIK masked, never full)."""
    member = enrollment.member
    programme = enrollment.sponsor_programme
    return [
        enrollment.pk,
        member.full_name,
        mask_nik(member.nik_masked),
        member.kpj_number or "",
        member.regency.name,
        enrollment.kind.upper(),
        str(enrollment.get_payer_display()),
        programme.name if programme else "",
        enrollment.months_unpaid,
        f"{enrollment.oldest_month:%Y-%m}",
        enrollment.owed,
        enrollment.late_fee,
        str(enrollment.get_status_display()),
    ]


def formula_safe(text: str) -> str:
    """A text cell a spreadsheet will not run: a leading = + - @, tab or line break gets an apostrophe."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_lines(rows: Iterable[list[Cell]], delimiter: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow([formula_safe(cell) if isinstance(cell, str) else cell for cell in row])
    return buffer.getvalue()


def csv_start(delimiter: str) -> bytes:
    """The byte order mark (Excel then reads UTF-8) and the header line."""
    return ("\ufeff" + csv_lines([header()], delimiter)).encode("utf-8")


def write_xlsx(target: IO[bytes] | Path, rows: Iterable[list[Cell]]) -> None:
    """A one-sheet workbook, streamed (write-only); every text cell is stored as text, never a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Arrears")[:31])
    titles = header()
    # Readable as opened: the header frozen and bold, columns as wide as their titles (at least 12),
    # whole rupiah amounts with thousands separators.
    sheet.freeze_panes = "A2"
    for index, title in enumerate(titles, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, min(40, len(str(title)) + 2))

    def cells(row: list[Cell], bold: bool = False) -> list[Any]:
        out: list[Any] = []
        for value in row:
            if isinstance(value, str):
                cell = WriteOnlyCell(sheet, value=value.translate(_NOT_XML))
                cell.data_type = "s"  # openpyxl would make "=..." a formula
                if bold:
                    cell.font = Font(bold=True)
                out.append(cell)
            elif isinstance(value, int) and not isinstance(value, bool):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "#,##0"
                out.append(cell)
            else:
                out.append(value)
        return out

    sheet.append(cells(titles, bold=True))
    for row in rows:
        sheet.append(cells(row))
    workbook.save(target)


def file_bytes(rows: Iterable[list[Cell]], fmt: str, delimiter: str) -> bytes:
    if fmt == XLSX:
        buffer = io.BytesIO()
        write_xlsx(buffer, rows)
        return buffer.getvalue()
    return csv_start(delimiter) + csv_lines(rows, delimiter).encode("utf-8")


def download_name(fmt: str, today: date) -> str:
    return f"tunggakan-iuran-{today:%Y%m%d}.{fmt}"


def _audit(*, actor: Any, filters: ArrearsFilters, rows: int, fmt: str, target: Job | None = None) -> None:
    audit_record(
        actor=actor,
        action=EXPORTED,
        target=target,
        changes={"filters": (None, filters.for_audit()), "rows": (None, rows), "format": (None, fmt)},
        region_code=filters.regency,
    )


# --- exporting ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    filename: str
    content_type: str
    rows: int


def arrears_export_request(
    *, actor: Any, filters: ArrearsFilters, fmt: str, delimiter: str = ";", today: date | None = None
) -> ExportFile | Job:
    """The export of the arrears list with these filters: the file itself when it is small, otherwise a
    queued job (its page shows the progress and, when done, the download link)."""
    from .tasks_exports import arrears_export

    if fmt not in FORMATS or delimiter not in DELIMITERS:
        raise ValueError(f"unknown format {fmt!r} or delimiter {delimiter!r}")
    today = today or timezone.localdate()
    rows = arrears_rows(user=actor, filters=filters, today=today)
    limit = direct_limit()
    if rows.order_by()[: limit + 1].count() <= limit:
        items = [row_of(enrollment) for enrollment in rows]
        content = file_bytes(items, fmt, delimiter)
        _audit(actor=actor, filters=filters, rows=len(items), fmt=fmt)
        return ExportFile(content, download_name(fmt, today), CONTENT_TYPES[fmt], len(items))
    # The rows and their order now: the search text is not kept, the ids it found are.
    ids = list(rows.values_list("pk", flat=True))
    with transaction.atomic():
        job = jobs.job_create(kind=Job.Kind.ARREARS_EXPORT, total=len(ids), actor=actor)
        job.params = {
            "filters": filters.as_params(),
            "search": bool(filters.q.strip()),
            "ids": ids,
            "format": fmt,
            "delimiter": delimiter,
            "today": today.isoformat(),
            "language": translation.get_language() or settings.LANGUAGE_CODE,
            "chunk": chunk_size(),
            # Names no one can guess, and no clash between databases sharing DATA_DIR.
            "name": f"arrears-{job.pk}-{secrets.token_hex(8)}",
        }
        job.result = {"cursor": 0, "rows": 0, "bytes": 0}
        job.save(update_fields=["params", "result"])
        transaction.on_commit(lambda: arrears_export.delay(job.pk))
    return job


def exports_dir() -> Path:
    return Path(settings.DATA_DIR) / "exports"


@dataclass(frozen=True)
class _Paths:
    part: Path  # written chunk by chunk
    final: Path  # what is downloaded (the same file for CSV)


def _paths(params: dict[str, Any]) -> _Paths:
    base = exports_dir() / params["name"]
    if params["format"] == XLSX:
        return _Paths(part=base.with_suffix(".jsonl"), final=base.with_suffix(".xlsx"))
    path = base.with_suffix(".csv")
    return _Paths(part=path, final=path)


def _open_at(path: Path, length: int) -> IO[bytes]:
    """The file opened for writing after its first `length` bytes (what was committed); anything a lost
    worker wrote after that is cut off. Only the owner may read it (it holds personal data)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT, 0o600), "r+b")
    handle.truncate(length)
    handle.seek(length)
    return handle


def arrears_export_run(job_id: int) -> None:
    """Write an export job's file, a chunk per transaction; resumable after any crash."""
    if not jobs.job_start(job_id=job_id):
        return
    job = Job.objects.select_related("created_by", "created_by__office").get(pk=job_id)
    if job.attempts > MAX_ATTEMPTS:
        jobs.job_fail(job_id=job_id, error=_("The export failed too many times; start it again."))
        return
    actor = job.created_by
    if actor is None:
        jobs.job_fail(job_id=job_id, error=_("The user who started this job no longer exists."))
        return
    params = job.params
    filters = ArrearsFilters.from_params(params["filters"])
    today = date.fromisoformat(params["today"])
    ids: list[int] = params["ids"]
    paths = _paths(params)
    with translation.override(params.get("language") or settings.LANGUAGE_CODE):
        while True:
            with transaction.atomic():
                job = Job.objects.select_for_update().defer("params").get(pk=job_id)
                if job.status != Job.Status.RUNNING:
                    return  # failed or finished by another run meanwhile
                cursor = job.result.get("cursor", 0)
                if cursor >= len(ids):
                    break
                chunk = ids[cursor : cursor + params["chunk"]]
                found = {
                    e.pk: e
                    for e in arrears_rows(user=actor, filters=filters, today=today)
                    .filter(pk__in=chunk)
                    .order_by()
                }
                # A row paid since the export was asked for is left out: the file shows what is owed.
                rows = [row_of(found[pk]) for pk in chunk if pk in found]
                committed = job.result.get("bytes", 0)
                with _open_at(paths.part, committed) as handle:
                    if committed == 0 and params["format"] == CSV:
                        handle.write(csv_start(params["delimiter"]))
                    if params["format"] == CSV:
                        handle.write(csv_lines(rows, params["delimiter"]).encode("utf-8"))
                    else:
                        handle.write(
                            "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode()
                        )
                    handle.flush()
                    os.fsync(handle.fileno())
                    written = handle.tell()
                job.result = {
                    **job.result,
                    "cursor": cursor + len(chunk),
                    "rows": job.result.get("rows", 0) + len(rows),
                    "bytes": written,
                }
                job.done += len(chunk)
                jobs.job_heartbeat(job)
                job.save(update_fields=["result", "done", "heartbeat_at"])
        _finish(job_id, actor=actor, filters=filters, params=params, paths=paths)


def _jsonl_rows(path: Path) -> Iterator[list[Cell]]:
    with path.open("rb") as handle:
        for line in handle:
            yield json.loads(line)


def _finish(
    job_id: int, *, actor: Any, filters: ArrearsFilters, params: dict[str, Any], paths: _Paths
) -> None:
    fmt = params["format"]
    with transaction.atomic():
        job = Job.objects.select_for_update().defer("params").get(pk=job_id)
        if job.status != Job.Status.RUNNING:
            return
        committed = job.result.get("bytes", 0)
        if fmt == XLSX:
            _open_at(paths.part, committed).close()  # only what was committed
            temporary = paths.final.with_suffix(".xlsx.tmp")
            with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
                write_xlsx(handle, _jsonl_rows(paths.part))
            os.replace(temporary, paths.final)
        else:
            with _open_at(paths.final, committed) as handle:
                if committed == 0:  # no rows at all: the header still says what the columns are
                    handle.write(csv_start(params["delimiter"]))
        rows = job.result.get("rows", 0)
        result = {
            **job.result,
            "file": str(paths.final.relative_to(exports_dir())),
            "filename": download_name(fmt, date.fromisoformat(params["today"])),
            "format": fmt,
            "download_url": reverse("contributions:arrears_download", args=[job_id]),
        }
        _audit(actor=actor, filters=filters, rows=rows, fmt=fmt, target=job)
        jobs.job_succeed(job_id=job_id, result=result)
    if paths.part != paths.final:
        paths.part.unlink(missing_ok=True)


def export_file_of(job: Job) -> Path | None:
    """The finished file of an arrears export job, or None (another kind, not finished, deleted)."""
    if job.kind != Job.Kind.ARREARS_EXPORT or job.status != Job.Status.SUCCEEDED:
        return None
    name = job.result.get("file")
    if not name:
        return None
    root = exports_dir().resolve()
    path = (root / name).resolve()
    if path.parent != root or not path.is_file():
        return None
    return path


def arrears_download_record(*, job: Job, actor: Any) -> None:
    audit_record(
        actor=actor,
        action=DOWNLOADED,
        target=job,
        changes={"rows": (None, job.result.get("rows", 0)), "format": (None, job.result.get("format"))},
    )


def arrears_exports_purge(*, now: Any = None) -> int:
    """Delete export files older than `keep_days()` (PDP: kept no longer than needed), and mark their jobs
    expired; returns the number of files deleted. Leftovers of failed jobs go the same way."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=keep_days())
    deleted = 0
    root = exports_dir()
    if root.is_dir():
        for path in root.glob("arrears-*"):
            if path.is_file() and path.stat().st_mtime < cutoff.timestamp():
                path.unlink(missing_ok=True)
                deleted += 1
    old = Job.objects.filter(
        kind=Job.Kind.ARREARS_EXPORT, status=Job.Status.SUCCEEDED, finished_at__lt=cutoff
    ).exclude(result__file="")
    for job in old.filter(result__has_key="file").defer("params"):
        Job.objects.filter(pk=job.pk).update(result={**job.result, "file": "", "expired": True})
    return deleted
