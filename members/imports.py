"""Bulk import of people from Excel and CSV lists: upload, columns, check, preview, commit, error report.

1. `import_upload` refuses what is not a usable list (size, format, macros, zip bombs, DTDs, too many rows,
   no header row), stores the file encrypted (it holds full NIKs) and proposes the columns: the header row
   is found among the first rows by the names people write, the office's earlier choices first. The same
   file uploaded again by the office is recognised (`SameFile`).
2. `import_confirm` records the columns the operator confirmed (remembered for the office) and starts the
   check, a Job (`import_check_run`): the file is parsed once and the job forks into processes that read
   every other chunk of rows with members/import_rules.py, encrypt the NIKs as in the registry and copy
   (COPY) each chunk into ImportRow in the transaction that records it done, so a killed worker resumes
   with the chunks not done. Then, set-based: NIKs repeated in the file, NIKs already in the registry
   (anywhere: a person outside the user's area is only said to be registered elsewhere), possible
   duplicates (same name and birth date, or same phone), the counts, and the error report (the operator's
   own columns, only the rows to fix, with a column saying per row the field, the problem and the fix).
3. `import_commit` starts the commit Job (`import_commit_run`): the valid rows go into the registry with
   one INSERT ... SELECT per chunk (ON CONFLICT on the NIK digest: a person is never stored twice, even
   when a chunk is redone or someone registered the NIK meanwhile), with their audit entries and, when
   asked, their submitted enrollments, each chunk recorded done in the same transaction.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import logging
import os
import signal
import sys
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import islice
from pathlib import Path
from typing import Any, NoReturn

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from umkm_enroll import spreadsheets as sheets
from umkm_enroll.accounts.scoping import scope_of
from umkm_enroll.audit.masking import mask_nik
from umkm_enroll.audit.services import audit_record
from umkm_enroll.jobs import services as jobs
from umkm_enroll.jobs.models import Job
from umkm_enroll.regions.models import District, Province, Regency, Village

from . import nik as nik_rules
from .import_rules import FIELD_BY_NAME, Catalog, RowReader, find_header, key
from .models import ImportBatch, ImportMapping, ImportRow, Member, Payer
from .regions_catalog import region_catalog
from .services import KK_PURPOSE, NIK_PURPOSE
from .vault import vault

logger = logging.getLogger(__name__)

HEADER_SEARCH_ROWS = 30
FILE_PURPOSE = "import-file"
LAST_ROW = 2**31 - 1  # the end of the last chunk's rows
# Columns the check needs, directly or through a default chosen at the mapping.
NEEDED = (
    "nik",
    "full_name",
    "birth_date",
    "sex",
    "address",
    "regency",
    "district",
    "village",
    "occupation",
    "kind",
)
DEFAULTABLE = ("occupation", "kind", "monthly_income", "regency")
# The registry columns a committed row fills (the same names in ImportRow and Member).
MEMBER_COLUMNS = (
    "nik_ciphertext",
    "nik_key_id",
    "nik_digest",
    "nik_masked",
    "nik_regency_code",
    "nik_district_code",
    "kk_ciphertext",
    "kk_key_id",
    "kk_masked",
    "full_name",
    "name_search",
    "name_tokens",
    "birth_place",
    "birth_date",
    "sex",
    "address",
    "province_id",
    "regency_id",
    "district_id",
    "village_id",
    "phone",
    "email",
    "occupation",
    "business_name",
    "nib",
    "kind",
    "monthly_income",
    "monthly_wage",
    "cooperative_id",
    "employer_member_id",
    "employer_cooperative_id",
    "aid_bpum",
    "aid_kur",
    "heir_name",
    "heir_relation",
    "heir_phone",
)
# The staging columns copied from a checked row, in COPY order.
ROW_COLUMNS = (
    "batch_id",
    "row_number",
    "status",
    "problems",
    "cells",
    "first_row",
    "possible_duplicate",
    "existing_visible",
    *MEMBER_COLUMNS,
)
# A row that is not stored: its registry columns empty (NULL where the column allows it).
_NULLABLE = {
    "nik_ciphertext",
    "kk_ciphertext",
    "birth_date",
    "monthly_income",
    "monthly_wage",
    "cooperative_id",
    "employer_member_id",
    "employer_cooperative_id",
}
_EMPTY_TAIL = tuple(
    None
    if name in _NULLABLE
    else False
    if name in {"possible_duplicate", "existing_visible", "aid_bpum", "aid_kur"}
    else []
    if name == "name_tokens"
    else ""
    for name in ROW_COLUMNS[6:]
)
REPORT_COLUMN = "Keterangan kesalahan (kolom ini diabaikan saat diunggah lagi)"
ROW_COLUMN = "Baris asal"


def max_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_BYTES", 50 * 1024 * 1024))


def max_rows() -> int:
    return int(getattr(settings, "IMPORT_MAX_ROWS", 200_000))


def chunk_rows() -> int:
    return int(getattr(settings, "IMPORT_CHUNK_ROWS", 10_000))


def keep_days() -> int:
    return int(getattr(settings, "IMPORT_KEEP_DAYS", 14))


class ImportError_(Exception):
    """A refusal with a message for the user."""


class SameFile(ImportError_):
    def __init__(self, earlier: ImportBatch) -> None:
        super().__init__(
            _("This file was already uploaded on %(date)s (“%(label)s”).")
            % {
                "date": timezone.localtime(earlier.created_at).strftime("%d/%m/%Y %H:%M"),
                "label": earlier.label,
            }
        )
        self.earlier = earlier


# --- Files ----------------------------------------------------------------------------------------------


def imports_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _store(content: bytes) -> str:
    """Encrypt and write a file holding personal data; returns its stored name."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    box = vault()
    nonce = os.urandom(12)
    sealed = AESGCM(box.keys[box.current_key_id]).encrypt(nonce, content, FILE_PURPOSE.encode())
    name = f"{uuid.uuid4().hex}.{box.current_key_id}.bin"
    (imports_dir() / name).write_bytes(nonce + sealed)
    return name


def _load(name: str) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key_id = name.split(".")[1]
    blob = (imports_dir() / name).read_bytes()
    return AESGCM(vault().keys[key_id]).decrypt(blob[:12], blob[12:], FILE_PURPOSE.encode())


def _delete(name: str) -> None:
    if name:
        (imports_dir() / name).unlink(missing_ok=True)


@dataclass(frozen=True)
class Source:
    """A stored file opened for reading."""

    format: str
    content: bytes
    encoding: str = ""
    delimiter: str = ""

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        if self.format == sheets.XLSX:
            return sheets.xlsx_values(self.content)
        text, _encoding = sheets.decode_csv(self.content)
        return sheets.csv_rows(text, self.delimiter)

    def reread(self) -> Callable[[], Iterator[tuple[int, list[Any]]]]:
        """`rows`, to be called more than once (and in forked processes): a workbook is parsed here, once."""
        if self.format == sheets.XLSX:
            return sheets.XlsxSheet(self.content).rows
        text, _encoding = sheets.decode_csv(self.content)
        return lambda: sheets.csv_rows(text, self.delimiter)


def _source(batch: ImportBatch) -> Source:
    return Source(batch.file_format, _load(batch.stored_name), batch.encoding, batch.delimiter)


def _too_many_rows() -> str:
    return _("The file has more than %(limit)s rows: split it into smaller files.") % {
        "limit": f"{max_rows():,}".replace(",", ".")
    }


def _no_rows(header_row: int) -> str:
    return _("The file has a header row (row %(row)s) but no rows under it.") % {"row": header_row}


def _no_header() -> str:
    return _(
        "No header row was found in the first %(rows)s rows: the list needs a row naming its columns, "
        "at least “NIK” or “Nama Lengkap” and two others (download the template to see them)."
    ) % {"rows": HEADER_SEARCH_ROWS}


def remembered_for(office_id: int | None) -> dict[str, str]:
    if office_id is None:
        return {}
    return dict(ImportMapping.objects.filter(office_id=office_id).values_list("header", "field"))


@dataclass(frozen=True)
class Layout:
    source: Source
    header_row: int
    header_cells: list[Any]
    mapping: dict[str, int]
    row_bound: int  # rows declared (XLSX row tags, CSV lines): a bound of the rows to check


def _read_layout(content: bytes, remembered: dict[str, str]) -> Layout:
    """Format, header row, the header's cells, the proposed mapping and the rows declared."""
    fmt = sheets.sniff_format(content)
    if fmt == sheets.XLSX:
        source = Source(fmt, content)
        bound = sheets.xlsx_row_bound(content)
        if bound > max_rows() + HEADER_SEARCH_ROWS:
            raise ImportError_(_too_many_rows())
        head = sheets.xlsx_head(content, HEADER_SEARCH_ROWS)
        try:
            number, mapping = find_header(head, remembered)
        except LookupError:
            raise ImportError_(_no_header()) from None
        if len(head) < HEADER_SEARCH_ROWS and not any(
            row > number and any(sheets.cell_text(cell) for cell in cells) for row, cells in head
        ):
            # The whole sheet was read: a header and nothing under it (the template as downloaded).
            raise ImportError_(_no_rows(number))
        return Layout(source, number, dict(head)[number], mapping, bound)
    text, encoding = sheets.decode_csv(content)
    lines = text.count("\n")
    bound = lines + (0 if text.endswith("\n") else 1)
    best: Layout | None = None
    for delimiter in (";", ",", "\t", "|"):
        source = Source(fmt, content, encoding, delimiter)
        head = list(islice(sheets.csv_rows(text, delimiter), HEADER_SEARCH_ROWS))
        try:
            number, mapping = find_header(head, remembered)
        except LookupError:
            continue
        if best is None or len(mapping) > len(best.mapping):
            best = Layout(source, number, dict(head)[number], mapping, bound)
    if best is None:
        raise ImportError_(_no_header())
    if lines > max_rows() + HEADER_SEARCH_ROWS + 1:
        # A bound (a quoted cell may hold a line break); the check counts exactly.
        raise ImportError_(_too_many_rows())
    return best


@transaction.atomic
def import_upload(
    *, actor: Any, name: str, content: bytes, label: str = "", again: bool = False
) -> ImportBatch:
    """Accept a list and propose its columns (the batch waits for the operator's confirmation)."""
    if actor.office_id is None:
        raise ImportError_(_("Only an office's user can import a list of people."))
    if not content:
        raise ImportError_(_("The file is empty."))
    if len(content) > max_bytes():
        raise ImportError_(
            _("The file is larger than %(size)s MB: split it into smaller files.")
            % {"size": max_bytes() // 2**20}
        )
    digest = hashlib.sha256(content).hexdigest()
    earlier = (
        ImportBatch.objects.filter(office_id=actor.office_id, sha256=digest)
        .exclude(status=ImportBatch.Status.CANCELLED)
        .first()
    )
    if earlier is not None and not again:
        raise SameFile(earlier)
    try:
        if Path(name).suffix.lower() in {".xlsx", ".xlsm"} and sheets.sniff_format(content) != sheets.XLSX:
            raise ImportError_(
                _(
                    "The file's name ends in .xlsx but it is not an Excel workbook (it may be damaged or "
                    "renamed): open it in Excel and save it again as .xlsx or .csv."
                )
            )
        layout = _read_layout(content, remembered_for(actor.office_id))
    except sheets.SpreadsheetError as error:
        raise ImportError_(str(error)) from None
    batch = ImportBatch.objects.create(
        label=(label or Path(name).stem)[:200],
        office_id=actor.office_id,
        created_by=actor,
        status=ImportBatch.Status.UPLOADED,
        file_name=Path(name).name[:200],
        file_format=layout.source.format,
        file_size=len(content),
        sha256=digest,
        stored_name=_store(content),
        encoding=layout.source.encoding,
        delimiter=layout.source.delimiter,
        same_as=earlier,
        header_row=layout.header_row,
        row_bound=layout.row_bound,
        headers=[sheets.cell_text(cell)[:100] for cell in layout.header_cells],
        mapping=layout.mapping,
    )
    audit_record(
        actor=actor,
        action="members.import.uploaded",
        target=batch,
        changes={"file": (None, batch.file_name), "size": (None, batch.file_size)},
    )
    return batch


def sample_rows(batch: ImportBatch, count: int = 3) -> list[list[str]]:
    """The first data rows under the header, as text, for the mapping page."""
    source = _source(batch)
    if source.format == sheets.XLSX:
        rows: Any = sheets.xlsx_head(source.content, batch.header_row + count + 20)
    else:
        rows = source.rows()
    samples = []
    for number, cells in rows:
        if number <= batch.header_row or all(sheets.cell_text(cell) == "" for cell in cells):
            continue
        # Shown on a page: a NIK or family-card number masked, as everywhere else.
        samples.append(
            [_masked_if_number(sheets.cell_text(cell)[:60]) for cell in cells[: len(batch.headers)]]
        )
        if len(samples) == count:
            break
    return samples


def _masked_if_number(text: str) -> str:
    """A cell of 15 or more digits (a NIK, a family-card number) masked; other text as it is."""
    digits = sum(character.isdigit() for character in text)
    return mask_nik(text) if digits >= 15 and not any(c.isalpha() for c in text) else text


def mapping_problems(
    batch: ImportBatch, mapping: dict[str, int], defaults: dict[str, Any], actor: Any
) -> list[str]:
    problems = []
    used: dict[int, str] = {}
    for name, index in mapping.items():
        if name not in FIELD_BY_NAME or not 0 <= index < len(batch.headers):
            problems.append(_("Unknown column choice."))
        elif index in used:
            problems.append(_("The column “%(header)s” is chosen twice.") % {"header": batch.headers[index]})
        used[index] = name
    single_regency = _single_regency(actor)
    for name in NEEDED:
        if name in mapping or defaults.get(name):
            continue
        if name == "birth_date" and "birth_place_date" in mapping:
            continue
        if name == "regency" and single_regency:
            continue
        problems.append(
            _("Choose the column for “%(field)s”: the registry requires it.")
            % {"field": FIELD_BY_NAME[name].header}
        )
    if "birth_place" not in mapping and "birth_place_date" not in mapping:
        problems.append(
            _("Choose the column for “%(field)s”: the registry requires it.")
            % {"field": FIELD_BY_NAME["birth_place"].header}
        )
    return problems


def _single_regency(actor: Any) -> str:
    scope = scope_of(actor)
    if scope.everything or len(scope.regency_codes) != 1:
        return ""
    return next(iter(scope.regency_codes))


@transaction.atomic
def import_confirm(
    *, batch: ImportBatch, mapping: dict[str, int], defaults: dict[str, Any], actor: Any
) -> Job:
    """Record the confirmed columns (remembered for the office) and start the check."""
    batch = ImportBatch.objects.visible_to(actor).select_for_update().get(pk=batch.pk)
    if batch.status not in {ImportBatch.Status.UPLOADED, ImportBatch.Status.CHECKED}:
        raise ImportError_(_("This list is already being imported."))
    problems = mapping_problems(batch, mapping, defaults, actor)
    if problems:
        raise ImportError_(" ".join(problems))
    for name, index in mapping.items():
        header = key(batch.headers[index])
        if header:
            ImportMapping.objects.update_or_create(
                office_id=batch.office_id, header=header, defaults={"field": name}
            )
    ImportRow.objects.filter(batch=batch).delete()
    # The rows to check, for the progress bar (a bound: empty rows are not counted by the check).
    job = jobs.job_create(kind=Job.Kind.IMPORT_CHECK, total=_row_estimate(batch), actor=actor)
    job.params = {"batch": batch.pk}
    job.save(update_fields=["params"])
    batch.mapping = mapping
    batch.defaults = {name: value for name, value in defaults.items() if name in DEFAULTABLE and value}
    batch.status = ImportBatch.Status.CHECKING
    batch.check_job = job
    batch.save(update_fields=["mapping", "defaults", "status", "check_job"])
    audit_record(
        actor=actor, action="members.import.confirmed", target=batch, changes={"mapping": (None, mapping)}
    )
    _queue(job)
    return job


def _row_estimate(batch: ImportBatch) -> int:
    if batch.row_bound:
        return max(0, batch.row_bound - batch.header_row)
    content = _load(batch.stored_name)  # a list uploaded before the bound was recorded
    if batch.file_format == sheets.XLSX:
        rows = sheets.xlsx_row_bound(content)
    else:
        rows = content.count(b"\n") + (0 if content.endswith(b"\n") else 1)
    return max(0, rows - batch.header_row)


def _queue(job: Job) -> None:
    from umkm_enroll.celery import app

    transaction.on_commit(lambda: app.send_task(Job.TASKS[job.kind], args=[job.pk]))


# --- The check ------------------------------------------------------------------------------------------


def build_catalog(batch: ImportBatch, actor: Any, today: date) -> Catalog:
    """The reference data of the rules, for the user's area."""
    from cooperatives.models import Cooperative

    scope = scope_of(actor)
    catalog = Catalog(regions=region_catalog(), today=today, digest=_digest)
    catalog.allowed_regencies = None if scope.everything else frozenset(scope.regency_codes)
    catalog.default_regency = str(batch.defaults.get("regency") or _single_regency(actor))
    for code, name in Province.objects.values_list("code", "name"):
        catalog.provinces[key(name)] = code
    for code, name, province in Regency.objects.filter(active=True).values_list(
        "code", "name", "province_id"
    ):
        full = key(name)
        catalog.regencies[full] = code
        catalog.regency_province[code] = province
        bare = full.split(" ", 1)[1] if full.startswith(("kabupaten ", "kota ")) else full
        catalog.regencies_bare.setdefault(bare, []).append(code)
    districts = District.objects.filter(active=True)
    villages = Village.objects.filter(active=True)
    if catalog.allowed_regencies is not None:
        districts = districts.filter(regency_id__in=catalog.allowed_regencies)
        villages = villages.filter(district__regency_id__in=catalog.allowed_regencies)
    for code, name, regency in districts.values_list("code", "name", "regency_id"):
        catalog.districts[(regency, key(name))] = code
        catalog.district_codes.add(code)
    for code, name, district in villages.values_list("code", "name", "district_id").iterator(
        chunk_size=20_000
    ):
        catalog.villages[(district, key(name))] = code
        catalog.village_codes.add(code)
    for pk, number, name in Cooperative.objects.visible_to(actor).values_list("pk", "nik_koperasi", "name"):
        catalog.cooperatives.setdefault(key(name), pk)
        if number:
            catalog.cooperatives[key(number)] = pk
    for field_name, value in batch.defaults.items():
        if field_name in DEFAULTABLE:
            catalog.defaults[field_name] = value
    return catalog


def _digest(nik: str) -> str:
    return vault().digest(nik, purpose=NIK_PURPOSE)


def _employers(
    batch: ImportBatch, actor: Any, rows: Callable[[], Iterator[tuple[int, list[Any]]]]
) -> dict[str, int]:
    """Registered, visible people named as employers in the file: digest -> id."""
    index = batch.mapping.get("employer_nik")
    if index is None:
        return {}
    digests = set()
    for number, cells in rows():
        if number > batch.header_row and index < len(cells):
            text = nik_rules.normalize(sheets.cell_text(cells[index]))
            if text:
                digests.add(_digest(text))
    found = Member.objects.visible_to(actor).current().filter(nik_digest__in=digests)
    return dict(found.values_list("nik_digest", "pk"))


def _staged(batch_id: int, checked: list[tuple[int, Any, list[Any]]]) -> list[tuple[Any, ...]]:
    """A chunk of checked rows as staging rows (COPY order): a valid row with its NIK encrypted and digested
    as in the registry (the chunk's values encrypted in one call), a bad row with its cells as written and
    its problems. A NIK repeated in the file is found once every chunk is staged (`_mark_repeated`)."""
    box = vault()
    staged: list[tuple[Any, ...] | None] = []
    valid: list[tuple[int, str]] = []
    for number, result, cells in checked:
        if not result.problems and result.nik_info is not None:
            valid.append((len(staged), box.digest(result.nik, purpose=NIK_PURPOSE)))
            staged.append(None)
        else:
            problems = [str(problem) for problem in result.problems]
            staged.append(_not_stored(batch_id, number, ImportRow.Status.INVALID, problems, cells, None))
    results = [checked[position][1] for position, _key in valid]
    niks = box.encrypt_many([result.nik for result in results], purpose=NIK_PURPOSE)
    with_kk = [k for k, result in enumerate(results) if result.kk]
    kks = dict(
        zip(with_kk, box.encrypt_many([results[k].kk for k in with_kk], purpose=KK_PURPOSE), strict=True)
    )
    key_id = box.current_key_id
    for k, (position, digest) in enumerate(valid):
        number, result, _cells = checked[position]
        values = result.values
        info = result.nik_info
        kk_cipher = kks.get(k)
        staged[position] = (
            batch_id,
            number,
            ImportRow.Status.VALID,
            "[]",
            None,
            None,
            False,
            False,
            niks[k],
            key_id,
            digest,
            nik_rules.mask(result.nik),
            info.regency_code,
            info.district_code,
            kk_cipher,
            key_id if kk_cipher is not None else "",
            nik_rules.mask(result.kk) if kk_cipher is not None else "",
            values["full_name"],
            values["name_search"],
            values["name_tokens"],
            values["birth_place"],
            values["birth_date"],
            values["sex"],
            values["address"],
            values["province_id"],
            values["regency_id"],
            values["district_id"],
            values["village_id"],
            values["phone"],
            values["email"],
            values["occupation"],
            values["business_name"],
            values["nib"],
            values["kind"],
            values["monthly_income"],
            values["monthly_wage"],
            values["cooperative_id"],
            values["employer_member_id"],
            values["employer_cooperative_id"],
            values["aid_bpum"],
            values["aid_kur"],
            values["heir_name"],
            values["heir_relation"],
            values["heir_phone"],
        )
    return staged  # type: ignore[return-value]  # every None was filled above


def _not_stored(
    batch_id: int, number: int, status: str, problems: list[str], cells: list[Any], first_row: int | None
) -> tuple[Any, ...]:
    """The staging row of a row to fix: its cells as written and its problems (as JSON text, which COPY
    reads into the jsonb columns), its registry columns empty."""
    kept = [sheets.cell_text(cell)[:500] for cell in cells]
    return (
        batch_id,
        number,
        status,
        json.dumps(problems, ensure_ascii=False),
        json.dumps(kept, ensure_ascii=False),
        first_row,
        *_EMPTY_TAIL,
    )


def _copy_rows(rows: list[tuple[Any, ...]]) -> None:
    columns = ", ".join(ROW_COLUMNS)
    statement = f"COPY members_importrow ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _batch_of(job: Job) -> ImportBatch:
    return ImportBatch.objects.select_related("office", "created_by").get(pk=job.params["batch"])


def import_check_run(job_id: int) -> None:
    """The body of the check Job: resumable with the chunks not yet done."""
    if not jobs.job_start(job_id=job_id):
        return
    job = Job.objects.get(pk=job_id)
    batch = _batch_of(job)
    actor = batch.created_by
    with translation.override(settings.LANGUAGE_CODE):
        try:
            _check(job, batch, actor)
        except sheets.SpreadsheetError as error:
            _fail(job, batch, str(error))
        except Exception:
            logger.exception("import check %s failed", batch.pk)
            raise


def _fail(job: Job, batch: ImportBatch, message: str) -> None:
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.FAILED, error=message)
    jobs.job_fail(job_id=job.pk, error=message)


def check_processes() -> int:
    return max(1, int(getattr(settings, "IMPORT_CHECK_PROCESSES", 2)))


Rows = Callable[[], Iterator[tuple[int, list[Any]]]]


def _check(job: Job, batch: ImportBatch, actor: Any) -> None:
    """The chunks of the list (chunk k: the non-empty data rows k * size onwards, the size fixed on the
    job's first run) checked by IMPORT_CHECK_PROCESSES processes forked after the workbook is parsed (the
    rules are Python: a core each), each chunk staged and recorded done in one transaction; a run of the
    job does the chunks not yet done. Then the NIKs repeated in the file, and the set-based part."""
    size, done = _chunking(job.pk, batch)
    rows = _source(batch).reread()
    catalog = build_catalog(batch, actor, timezone.localdate())
    catalog.employers = _employers(batch, actor, rows)
    reader = RowReader(
        {name: int(index) for name, index in batch.mapping.items()},
        {name: str(batch.headers[int(index)]) for name, index in batch.mapping.items()},
        catalog,
    )
    parts = check_processes() if _row_estimate(batch) > size else 1  # one chunk: nothing to share
    counted, forked_peak = _in_processes(
        lambda part: _check_part(job.pk, batch, reader, rows, size, done, part, parts), parts
    )
    if forked_peak:
        with transaction.atomic():
            locked = Job.objects.select_for_update().get(pk=job.pk)
            locked.result = {**locked.result, "forked_peak_kib": forked_peak}  # the benchmark's figure
            locked.save(update_fields=["result"])
    if counted > max_rows():
        _fail(job, batch, _too_many_rows())
        return
    if not counted:
        _fail(job, batch, _no_rows(batch.header_row))
        return
    _mark_repeated(batch, rows)
    _finish_check(job, batch, actor)


@transaction.atomic
def _chunking(job_id: int, batch: ImportBatch) -> tuple[int, frozenset[int]]:
    """The job's chunk size and the chunks done. The size is fixed on the job's first run (under its row
    lock): a run with another IMPORT_CHUNK_ROWS still cuts the list as the first did. A job begun by an
    older version (which kept a row cursor instead) starts afresh, its staged rows deleted."""
    job = Job.objects.select_for_update().get(pk=job_id)
    if "chunk_rows" not in job.result:
        ImportRow.objects.filter(batch=batch).delete()
        job.result = {"chunk_rows": chunk_rows(), "done": [], "rows": 0}
        job.done = 0
        job.save(update_fields=["result", "done"])
    return int(job.result["chunk_rows"]), frozenset(int(index) for index in job.result["done"])


def _check_part(
    job_id: int,
    batch: ImportBatch,
    reader: RowReader,
    rows: Rows,
    size: int,
    done: frozenset[int],
    part: int,
    parts: int,
) -> int:
    """Check and stage the chunks k (of `size` non-empty data rows) with k % parts == part that are not
    done; returns the number of non-empty data rows of the file (reading stops at the first row over the
    limit)."""
    limit = max_rows()
    counted = 0
    current = -1
    pending: list[tuple[int, Any, list[Any]]] = []
    with _ChunkWriter(job_id) as writer:
        for number, cells in rows():
            if number <= batch.header_row or cells.count("") + cells.count(None) == len(cells):
                continue  # above the data, or empty (counted in C: every process reads every row)
            counted += 1
            if counted > limit:
                break
            chunk = (counted - 1) // size
            if chunk % parts != part or chunk in done:
                continue
            if chunk != current:
                if pending:
                    writer.write(current, _staged(batch.pk, pending))
                current, pending = chunk, []
            pending.append((number, reader.read(cells), cells))
        if pending and counted <= limit:
            writer.write(current, _staged(batch.pk, pending))
    return counted


def _in_processes(work: Callable[[int], int], parts: int) -> tuple[int, int]:
    """work(part) for each part, part 0 here and the others in processes forked from this one (the parsed
    file and the rules' catalog are shared with them); returns work(0)'s result and the forked processes'
    peak memory (KiB, 0 when none was forked). A part that fails fails the whole, with a database error
    when it had one (so that the task retries, or fails the job, as for an error here). The forked
    processes die with this one (Linux's parent-death signal; elsewhere the parts run here in turn, as
    inside a transaction, the tests' in-process runs, where other connections could not see its rows)."""
    from django.db import DatabaseError, OperationalError, connections

    if parts <= 1 or connection.in_atomic_block or not sys.platform.startswith("linux"):
        results = [work(part) for part in range(parts)]
        return results[0], 0
    connections.close_all()  # each process opens its own (a shared socket would mix their messages)
    parent = os.getpid()
    children: list[int] = []
    ended: list[tuple[int, int, Any]] = []
    try:
        for part in range(1, parts):
            pid = os.fork()
            if pid == 0:  # pragma: no cover - measured through the worker tests
                _forked(work, part, parent)
            children.append(pid)
        result = work(0)
    except BaseException:
        _kill(children)
        raise
    try:
        ended = [os.wait4(pid, 0) for pid in children]
    except BaseException:
        _kill(children)
        raise
    codes = [os.waitstatus_to_exitcode(status) for _pid, status, _usage in ended]
    if FORKED_LOST_DATABASE in codes:
        raise OperationalError("a part of the import check lost its database connection")
    if FORKED_DATABASE_ERROR in codes:
        raise DatabaseError("a part of the import check had a database error")
    if any(codes):
        raise RuntimeError(f"a part of the import check failed (exit codes {codes})")
    return result, max(usage.ru_maxrss for _pid, _status, usage in ended)


FORKED_LOST_DATABASE = 3
FORKED_DATABASE_ERROR = 4
PR_SET_PDEATHSIG = 1


def _forked(work: Callable[[int], int], part: int, parent: int) -> NoReturn:  # pragma: no cover
    """The body of a forked process: its part, then os._exit with a code saying how it ended. It never
    returns into the code of the process it was forked from (the Celery pool's loop)."""
    import ctypes

    from django.db import DatabaseError, InterfaceError, OperationalError, connections

    code = 1
    try:
        # The pool process's handlers (a SIGTERM raising SystemExit, a soft time limit) are not ours.
        for number in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGUSR1):
            signal.signal(number, signal.SIG_DFL)
        if ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0 or os.getppid() != parent:
            raise RuntimeError("not tied to its parent, or the parent is gone already")
        work(part)
        code = 0
    except (OperationalError, InterfaceError):
        logger.exception("import check part %s lost its database", part)
        code = FORKED_LOST_DATABASE
    except DatabaseError:
        logger.exception("import check part %s had a database error", part)
        code = FORKED_DATABASE_ERROR
    except BaseException:
        logger.exception("import check part %s failed", part)
    finally:
        with contextlib.suppress(BaseException):
            connections.close_all()
        os._exit(code)


def _kill(pids: list[int]) -> None:
    """SIGKILL the forked processes and reap them (errors ignored: they may be gone already)."""
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    for pid in pids:
        with contextlib.suppress(OSError):
            os.waitpid(pid, 0)


class _ChunkWriter:
    """Commits the checked chunks one after the other, in a thread of its own with its own database
    connection: PostgreSQL stores chunk k while this process reads the next (the cores both work). At
    most one chunk waits. Inside a transaction (the tests' in-process runs) the other connection could
    not see the rows: chunks are then written inline."""

    def __init__(self, job_id: int) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.job_id = job_id
        inline = connection.in_atomic_block
        self.pool = None if inline else ThreadPoolExecutor(max_workers=1, thread_name_prefix="import")
        self.running: Any = None

    def __enter__(self) -> _ChunkWriter:
        return self

    def write(self, index: int, rows: list[tuple[Any, ...]]) -> None:
        if self.pool is None:
            _commit_check_chunk(self.job_id, index, rows)
            return
        self.wait()
        self.running = self.pool.submit(_commit_check_chunk, self.job_id, index, rows)

    def wait(self) -> None:
        if self.running is not None:
            running, self.running = self.running, None
            running.result()  # re-raises the thread's error here

    def __exit__(self, *exc_info: Any) -> None:
        if self.pool is None:
            return
        try:
            self.wait()
        finally:
            # The thread's own connection (the proxy is resolved in the thread).
            self.pool.submit(lambda: connection.close()).result()
            self.pool.shutdown()


@transaction.atomic
def _commit_check_chunk(job_id: int, index: int, rows: list[tuple[Any, ...]]) -> None:
    """Stage one chunk and record it done, in one transaction. The job's row is locked after the COPY (the
    other processes' chunks go on meanwhile). A chunk another run of the job staged is skipped; were that
    run staging it at this moment, the rows' unique key (batch, row) would stop this COPY with an error,
    and the task's retry would find the chunk done: a row is never staged twice."""
    if index in Job.objects.get(pk=job_id).result.get("done", []):
        return
    _copy_rows(rows)
    job = Job.objects.select_for_update().get(pk=job_id)
    done = [int(chunk) for chunk in job.result.get("done", [])]
    staged = int(job.result.get("rows", 0)) + len(rows)
    job.result = {**job.result, "done": [*done, index], "rows": staged}
    job.done = staged
    job.total = max(job.total, staged)
    jobs.job_heartbeat(job)
    job.save(update_fields=["result", "done", "total", "heartbeat_at"])


def _repeated_message(first_row: int) -> str:
    return _(
        "NIK: the same NIK as row %(row)s of this file. If this is another person, correct the NIK "
        "against the e-KTP; if it is the same person, delete this row."
    ) % {"row": first_row}


def _mark_repeated(batch: ImportBatch, rows: Rows) -> None:
    """A NIK on several valid rows of the file: the first row stays valid, each later one becomes a row to
    fix (its cells read again from the file, its registry columns gone), in one transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT row_number, first_row FROM (
                SELECT row_number, min(row_number) OVER (PARTITION BY nik_digest) AS first_row
                  FROM members_importrow WHERE batch_id = %s AND status = 'valid'
            ) rows WHERE row_number > first_row
            """,
            [batch.pk],
        )
        repeated = dict(cursor.fetchall())
    if not repeated:
        return
    cells = {number: cells for number, cells in rows() if number in repeated}
    staged = [
        _not_stored(
            batch.pk,
            number,
            ImportRow.Status.DUPLICATE_FILE,
            [_repeated_message(first)],
            cells[number],
            first,
        )
        for number, first in sorted(repeated.items())
    ]
    with transaction.atomic():
        ImportRow.objects.filter(
            batch=batch, row_number__in=list(repeated), status=ImportRow.Status.VALID
        ).delete()
        _copy_rows(staged)


def _finish_check(job: Job, batch: ImportBatch, actor: Any) -> None:
    scope = scope_of(actor)
    with transaction.atomic(), connection.cursor() as cursor:
        # The staged rows were just written: fresh statistics give the joins below their index plans (a
        # small sample is enough for them: a tenth of the default's, a tenth of the time).
        cursor.execute("SET LOCAL default_statistics_target = 10")
        cursor.execute("ANALYZE members_importrow")
    with transaction.atomic(), connection.cursor() as cursor:
        # NIKs already in the registry, wherever the person lives.
        cursor.execute(
            """
            UPDATE members_importrow AS r
               SET status = 'dup_registry', existing_member_id = m.id,
                   existing_visible = %s OR m.regency_id = ANY(%s)
              FROM members_member AS m
             WHERE r.batch_id = %s AND r.status = 'valid' AND m.nik_digest = r.nik_digest
            """,
            [scope.everything, list(scope.regency_codes), batch.pk],
        )
        # Possible duplicates under another NIK: the same normalised name and birth date, or the same phone,
        # in the registry (each through its index) or among the list's own rows (grouped).
        cursor.execute(
            """
            UPDATE members_importrow AS r SET possible_duplicate = true
              FROM members_member AS m
             WHERE r.batch_id = %s AND r.status = 'valid' AND m.merged_into_id IS NULL
               AND m.name_search = r.name_search AND m.birth_date = r.birth_date
            """,
            [batch.pk],
        )
        cursor.execute(
            """
            UPDATE members_importrow AS r SET possible_duplicate = true
              FROM members_member AS m
             WHERE r.batch_id = %s AND r.status = 'valid' AND r.phone <> '' AND m.merged_into_id IS NULL
               AND m.phone = r.phone AND m.phone <> ''  -- the condition of the partial index member_phone
            """,
            [batch.pk],
        )
        cursor.execute(
            """
            UPDATE members_importrow AS r SET possible_duplicate = true
             WHERE r.batch_id = %(batch)s AND r.status = 'valid' AND (
                   -- hashed groups (two window sorts of the list took half as long again)
                   (r.name_search, r.birth_date) IN (
                       SELECT name_search, birth_date FROM members_importrow
                        WHERE batch_id = %(batch)s AND status = 'valid'
                        GROUP BY name_search, birth_date HAVING count(*) > 1)
                OR (r.phone <> '' AND r.phone IN (
                       SELECT phone FROM members_importrow
                        WHERE batch_id = %(batch)s AND status = 'valid' AND phone <> ''
                        GROUP BY phone HAVING count(*) > 1)))
            """,
            {"batch": batch.pk},
        )
    counts = dict(
        ImportRow.objects.filter(batch=batch)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    possible = ImportRow.objects.filter(
        batch=batch, status=ImportRow.Status.VALID, possible_duplicate=True
    ).count()
    report = _write_report(batch)
    with transaction.atomic():
        updated = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.CHECKING).update(
            status=ImportBatch.Status.CHECKED,
            rows_total=sum(counts.values()),
            rows_valid=counts.get(ImportRow.Status.VALID, 0),
            rows_invalid=counts.get(ImportRow.Status.INVALID, 0),
            rows_duplicate_file=counts.get(ImportRow.Status.DUPLICATE_FILE, 0),
            rows_duplicate_registry=counts.get(ImportRow.Status.DUPLICATE_REGISTRY, 0),
            rows_possible_duplicate=possible,
            report_name=report,
        )
        if not updated:
            _delete(report)
        rows = sum(counts.values())
        Job.objects.filter(pk=job.pk).update(total=rows, done=rows)
        staged = Job.objects.get(pk=job.pk).result  # the chunks done, as recorded by the parts
        jobs.job_succeed(job_id=job.pk, result={**staged, "counts": counts})


def _report_rows(batch: ImportBatch) -> Iterator[list[str]]:
    rows = (
        ImportRow.objects.filter(
            batch=batch, status__in=[ImportRow.Status.INVALID, ImportRow.Status.DUPLICATE_FILE]
        )
        .order_by("row_number")
        .values_list("row_number", "cells", "problems")
    )
    width = len(batch.headers)
    for number, cells, problems in rows.iterator(chunk_size=2000):
        padded = (list(cells or []) + [""] * width)[:width]
        yield [*padded, "; ".join(problems), str(number)]


def _write_report(batch: ImportBatch) -> str:
    """The rows to fix, in the operator's own columns, with the explanation: stored encrypted."""
    header = [*batch.headers, REPORT_COLUMN, ROW_COLUMN]
    rows = _report_rows(batch)
    if batch.file_format == sheets.XLSX:
        from umkm_enroll.exports.xlsx import write

        buffer = io.BytesIO()
        write(buffer, header, rows, str(_("Rows to fix")))
        content = buffer.getvalue()
    else:
        text = io.StringIO()
        writer = csv.writer(text, delimiter=batch.delimiter or ";", lineterminator="\r\n")
        writer.writerow([sheets.formula_safe(cell) for cell in header])
        for row in rows:
            writer.writerow([sheets.formula_safe(cell) for cell in row])
        encoding = "utf-8-sig" if batch.encoding in {"utf-8", "utf-8-sig", "utf-16", ""} else "cp1252"
        content = text.getvalue().encode(encoding, errors="replace")
    return _store(content)


def report_file(*, batch: ImportBatch, actor: Any) -> tuple[bytes, str]:
    """The error report's bytes and download name (audited: it holds the rows as written)."""
    audit_record(actor=actor, action="members.import.report_downloaded", target=batch)
    stem = Path(batch.file_name).stem or "daftar"
    return _load(batch.report_name), f"{stem}-perbaiki.{batch.file_format}"


# --- Preview --------------------------------------------------------------------------------------------


PREVIEW_FIELDS = (
    "row_number",
    "status",
    "problems",
    "cells",
    "first_row",
    "existing_member_id",
    "existing_visible",
    "full_name",
    "nik_masked",
    "regency_id",
    "birth_date",
    "possible_duplicate",
)
# The preview's lists: valid rows, possible duplicates, rows to fix, duplicates.
PREVIEW_KINDS = ("valid", "possible", "invalid", "duplicate")


def preview_rows(batch: ImportBatch, kind: str) -> QuerySet[ImportRow]:
    """The checked rows of one of the preview's lists (PREVIEW_KINDS), in the file's order."""
    rows = ImportRow.objects.filter(batch=batch).order_by("row_number").only(*PREVIEW_FIELDS)
    if kind == "valid":
        return rows.filter(status=ImportRow.Status.VALID, possible_duplicate=False)
    if kind == "possible":
        return rows.filter(status=ImportRow.Status.VALID, possible_duplicate=True)
    if kind == "invalid":
        return rows.filter(status=ImportRow.Status.INVALID)
    if kind == "duplicate":
        return rows.filter(status__in=[ImportRow.Status.DUPLICATE_FILE, ImportRow.Status.DUPLICATE_REGISTRY])
    raise ValueError(kind)


def preview_samples(batch: ImportBatch, size: int = 10) -> dict[str, list[ImportRow]]:
    return {kind: list(preview_rows(batch, kind)[:size]) for kind in PREVIEW_KINDS}


# --- The commit -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubmitOptions:
    """The enrollment submitted for each imported person, when asked."""

    payer: str = Payer.SELF
    sponsor_programme: int | None = None
    bank: str = ""
    requested_start: date | None = None
    risk_class: str = ""
    scheme: str = ""

    def as_params(self) -> dict[str, Any]:
        return {
            "payer": self.payer,
            "sponsor_programme": self.sponsor_programme,
            "bank": self.bank,
            "requested_start": self.requested_start.isoformat() if self.requested_start else None,
            "risk_class": self.risk_class,
            "scheme": self.scheme,
        }

    @classmethod
    def from_params(cls, data: dict[str, Any]) -> SubmitOptions:
        start = data.get("requested_start")
        return cls(
            payer=data.get("payer") or Payer.SELF,
            sponsor_programme=data.get("sponsor_programme"),
            bank=data.get("bank") or "",
            requested_start=date.fromisoformat(start) if start else None,
            risk_class=data.get("risk_class") or "",
            scheme=data.get("scheme") or "",
        )


@transaction.atomic
def import_commit(*, batch: ImportBatch, actor: Any, submit: SubmitOptions | None = None) -> Job:
    """Start storing the valid rows (and submitting their enrollments when `submit` is given)."""
    batch = ImportBatch.objects.visible_to(actor).select_for_update().get(pk=batch.pk)
    if batch.status != ImportBatch.Status.CHECKED:
        raise ImportError_(
            _("This list is not ready to import: it is %(status)s.") % {"status": batch.get_status_display()}
        )
    if not batch.rows_valid:
        raise ImportError_(_("The list has no valid rows to import: correct the rows and upload them again."))
    job = jobs.job_create(kind=Job.Kind.IMPORT_COMMIT, total=batch.rows_valid, actor=actor)
    job.params = {"batch": batch.pk}
    job.save(update_fields=["params"])
    batch.status = ImportBatch.Status.COMMITTING
    batch.commit_job = job
    batch.committed_by = actor
    batch.submit_options = {"submit": submit is not None, **(submit.as_params() if submit else {})}
    batch.save(update_fields=["status", "commit_job", "committed_by", "submit_options"])
    audit_record(
        actor=actor,
        action="members.import.committed",
        target=batch,
        changes={"rows": (None, batch.rows_valid), "enrollments": (None, submit is not None)},
    )
    _queue(job)
    return job


def import_commit_run(job_id: int) -> None:
    """The body of the commit Job: the valid rows in chunks (row ranges fixed on the first run), each chunk
    in its own transaction, two at a time so that PostgreSQL works on both cores. Resumable (a chunk is
    recorded done in the transaction that stores it) and never storing a NIK twice (ON CONFLICT)."""
    if not jobs.job_start(job_id=job_id):
        return
    job = Job.objects.get(pk=job_id)
    batch = _batch_of(job)
    values = _chunk_values(batch)
    chunks = _chunk_ranges(job.pk, batch)
    done = set(Job.objects.get(pk=job.pk).result.get("done", []))
    todo = [index for index in range(len(chunks)) if index not in done]
    _in_threads(lambda index: _commit_chunk(job.pk, batch, values, index, chunks[index]), todo)
    _finish_commit(job.pk, batch)


def commit_threads() -> int:
    return max(1, int(getattr(settings, "IMPORT_COMMIT_THREADS", 2)))


@transaction.atomic
def _chunk_ranges(job_id: int, batch: ImportBatch) -> list[tuple[int, int]]:
    """The row ranges (after, up to] of the commit's chunks, each with IMPORT_CHUNK_ROWS valid rows: fixed
    once per job (under its row lock) so that every run of the job cuts the list the same way."""
    job = Job.objects.select_for_update().get(pk=job_id)
    if "chunks" in job.result:
        return [(int(after), int(upto)) for after, upto in job.result["chunks"]]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT row_number FROM (
                SELECT row_number, row_number() OVER (ORDER BY row_number) AS k
                  FROM members_importrow WHERE batch_id = %s AND status = 'valid'
            ) rows WHERE k %% %s = 0 ORDER BY row_number
            """,
            [batch.pk, chunk_rows()],
        )
        ends = [row[0] for row in cursor.fetchall()]
    chunks = list(zip([0, *ends], [*ends, LAST_ROW], strict=True))
    job.result = {**job.result, "chunks": chunks, "done": []}
    job.save(update_fields=["result"])
    return chunks


def _in_threads(work: Callable[[int], Any], items: list[int]) -> None:
    """work(item) for every item, in commit_threads() threads with a database connection each (closed at
    the end); the first error is raised here once the threads have stopped. Inside a transaction (the
    tests' in-process runs) other connections could not see its rows: the items then run here in turn."""
    threads = min(commit_threads(), len(items))
    if connection.in_atomic_block or threads <= 1:
        for item in items:
            work(item)
        return
    waiting = deque(items)
    errors: list[BaseException] = []

    def loop() -> None:
        try:
            while waiting and not errors:
                try:
                    item = waiting.popleft()
                except IndexError:
                    return
                work(item)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    running = [threading.Thread(target=loop, name=f"import-{k}") for k in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    if errors:
        raise errors[0]


def _chunk_sql(*, submit: bool) -> str:
    """One chunk of the commit in one statement: the valid rows of the chunk's row range go into the
    registry (ON CONFLICT on the NIK digest: a NIK registered meanwhile, or a chunk redone, is skipped),
    each stored person gets an audit entry and, when asked, a submitted enrollment with its own entry."""
    columns = ", ".join(MEMBER_COLUMNS)
    picked = ", ".join(f"c.{name}" for name in MEMBER_COLUMNS)
    enrollments = (
        """
        , added AS (
            INSERT INTO members_enrollment (
                member_id, kind, jkk, jkm, jht, risk_class, scheme, payer, sponsor_programme_id,
                bank, requested_start, status, created_office_id, submitted_office_id, submitted_by_id,
                submitted_at, status_changed_at, rejection_reason, rejection_note, end_reason, created_at,
                updated_at, version)
            SELECT s.id, c.kind, true, true, false,
                   CASE WHEN c.kind = 'pu' THEN %(risk_class)s ELSE '' END, %(scheme)s, %(payer)s,
                   %(programme)s, %(bank)s, %(start)s, 'submitted', %(office)s, %(office)s, %(actor)s,
                   %(now)s, %(now)s, '', '', '', %(now)s, %(now)s, 1
              FROM stored s JOIN chunk c ON c.nik_digest = s.nik_digest
             -- the checks of members/enrollments.submit_problems, set-based (tests compare the two)
             WHERE c.birth_date <= %(oldest_birth)s AND c.birth_date > %(youngest_birth)s
               AND c.heir_name <> '' AND c.heir_relation <> ''
               AND (c.kind <> 'bpu' OR coalesce(c.monthly_income, 0) > 0)
               AND (c.kind <> 'pu' OR (coalesce(c.monthly_wage, 0) > 0 AND %(risk_class)s <> ''
                    AND (c.employer_member_id IS NOT NULL OR c.employer_cooperative_id IS NOT NULL)))
               AND (%(payer)s <> 'sponsor' OR (c.province_id = %(programme_province)s
                    AND (%(programme_regency)s::text IS NULL OR c.regency_id = %(programme_regency)s)))
               AND (%(payer)s <> 'bank' OR %(bank)s <> '')
               AND (%(payer)s <> 'employer' OR c.kind = 'pu')
               AND (%(payer)s <> 'cooperative' OR c.cooperative_id IS NOT NULL)
            ON CONFLICT DO NOTHING
            RETURNING id, member_id
        ), enrollments_logged AS (
            INSERT INTO audit_auditentry (at, actor_id, actor_label, office_label, action, object_type,
                                          object_id, object_label, region_code, changes, reason, user_agent)
            SELECT %(now)s, %(actor)s, %(actor_label)s, %(office_label)s, 'members.enrollment.created',
                   'members.enrollment', a.id::text,
                   -- the person's initials and the enrollment number, as Enrollment.audit_label
                   s.label || ' · #' || a.id, s.regency_id,
                   jsonb_build_object('status', jsonb_build_array(NULL, 'submitted'),
                                      'import_batch', jsonb_build_array(NULL, %(batch)s::int)), '', ''
              FROM added a JOIN stored s ON s.id = a.member_id
            RETURNING 1
        )
        """
        if submit
        else ""
    )
    submitted = "(SELECT count(*) FROM enrollments_logged)" if submit else "0"
    return f"""
        WITH chunk AS (
            SELECT * FROM members_importrow
             WHERE batch_id = %(batch)s AND status = 'valid'
               AND row_number > %(after)s AND row_number <= %(upto)s
        ), stored AS (
            INSERT INTO members_member ({columns}, office_id, created_by_id, import_batch_id,
                                        created_at, updated_at, version)
            SELECT {picked}, %(office)s, %(actor)s, %(batch)s, %(now)s, %(now)s, 1
              FROM chunk c ORDER BY c.row_number
            ON CONFLICT (nik_digest) DO NOTHING
            RETURNING id, nik_digest, regency_id,
                      -- the masked name of audit_entry (umkm_enroll.audit.masking.mask_name)
                      regexp_replace(full_name, '(\\S)\\S*', '\\1***', 'g') AS label
        ), logged AS (
            INSERT INTO audit_auditentry (at, actor_id, actor_label, office_label, action, object_type,
                                          object_id, object_label, region_code, changes, reason, user_agent)
            SELECT %(now)s, %(actor)s, %(actor_label)s, %(office_label)s, 'members.member.imported',
                   'members.member', s.id::text, s.label, s.regency_id,
                   jsonb_build_object('import_batch', jsonb_build_array(NULL, %(batch)s::int)), '', ''
              FROM stored s
            RETURNING 1
        ){enrollments}
        SELECT (SELECT count(*) FROM chunk), (SELECT count(*) FROM logged), {submitted}
    """  # noqa: S608


@transaction.atomic
def _commit_chunk(
    job_id: int, batch: ImportBatch, values: dict[str, Any], index: int, rows: tuple[int, int]
) -> None:
    """Store one chunk and record it done, in one transaction. The job's row is locked only at the end (the
    other thread's chunk goes on meanwhile); a chunk another run of the job stored first is rolled back."""
    submit = bool(batch.submit_options.get("submit"))
    after, upto = rows
    with connection.cursor() as cursor:
        # In memory, and the foreign keys checked now rather than at COMMIT (under the job's lock).
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            _chunk_sql(submit=submit), {**values, "after": after, "upto": upto, "now": timezone.now()}
        )
        handled, created, submitted = cursor.fetchone()
    job = Job.objects.select_for_update().get(pk=job_id)
    if index in job.result.get("done", []):
        transaction.set_rollback(True)
        return
    job.result = {
        **job.result,
        "done": [*job.result.get("done", []), index],
        "created": int(job.result.get("created", 0)) + created,
        "registry_duplicates": int(job.result.get("registry_duplicates", 0)) + handled - created,
        "submitted": int(job.result.get("submitted", 0)) + submitted,
    }
    job.done = min(job.total, job.done + handled)
    jobs.job_heartbeat(job)
    job.save(update_fields=["result", "done", "heartbeat_at"])


def _chunk_values(batch: ImportBatch) -> dict[str, Any]:
    """The parameters every chunk of a commit shares."""
    actor = batch.committed_by
    values: dict[str, Any] = {
        "batch": batch.pk,
        "office": batch.office_id,
        "office_label": str(batch.office),
        "actor": actor.pk if actor else None,
        "actor_label": actor.get_username() if actor else "",
    }
    if not batch.submit_options.get("submit"):
        return values
    options = SubmitOptions.from_params(batch.submit_options)
    today = timezone.localdate()
    programme_province = programme_regency = None
    if options.sponsor_programme:
        from django.apps import apps

        programme = apps.get_model("contributions", "SponsorProgramme").objects.get(
            pk=options.sponsor_programme
        )
        programme_province, programme_regency = programme.province_id, programme.regency_id
    return {
        **values,
        "risk_class": options.risk_class,
        "scheme": options.scheme,
        "payer": options.payer,
        "programme": options.sponsor_programme,
        "bank": options.bank,
        "start": options.requested_start or today,
        "programme_province": programme_province,
        "programme_regency": programme_regency,
        "oldest_birth": _years_before(today, settings.ENROLLMENT_MIN_AGE),
        "youngest_birth": _years_before(today, settings.ENROLLMENT_MAX_AGE + 1),
    }


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _finish_commit(job_id: int, batch: ImportBatch) -> None:
    job = Job.objects.get(pk=job_id)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO members_nametoken (token)
            SELECT DISTINCT unnest(name_tokens) FROM members_member WHERE import_batch_id = %s
            ON CONFLICT DO NOTHING
            """,
            [batch.pk],
        )
        # Possible duplicates found by the check become flags for review, as for a person entered alone.
        # The registry just grew by the list: fresh statistics keep the lookups below on their indexes
        # (stale ones once made this a scan of everyone per row: 11 s for 150,000 people).
        cursor.execute("ANALYZE members_member")
        cursor.execute(
            """
            INSERT INTO members_duplicateflag (first_id, second_id, reason, status, created_at)
            SELECT DISTINCT least(p.id, o.id), greatest(p.id, o.id),
                   CASE WHEN o.name_search = p.name_search AND o.birth_date = p.birth_date
                        THEN 'name_birth' ELSE 'phone' END, 'open', now()
              FROM members_importrow r
              JOIN members_member p ON p.nik_digest = r.nik_digest AND p.import_batch_id = r.batch_id
              -- each through its own index (an OR would let stale statistics pick a scan of everyone)
              CROSS JOIN LATERAL (
                  (SELECT m.id, m.name_search, m.birth_date FROM members_member m
                    WHERE m.name_search = p.name_search AND m.birth_date = p.birth_date
                      AND m.id <> p.id AND m.merged_into_id IS NULL
                    LIMIT 20)
                  UNION
                  (SELECT m.id, m.name_search, m.birth_date FROM members_member m
                    WHERE p.phone <> '' AND m.phone = p.phone AND m.phone <> ''
                      AND m.id <> p.id AND m.merged_into_id IS NULL
                    LIMIT 20)) o
             WHERE r.batch_id = %s AND r.status = 'valid' AND r.possible_duplicate
            ON CONFLICT DO NOTHING
            """,
            [batch.pk],
        )
    created = int(job.result.get("created", 0))
    submitted = int(job.result.get("submitted", 0))
    with transaction.atomic(), connection.cursor() as cursor:
        # The rows' personal data now lives in the registry (and the rows to fix in the report): the staged
        # copies of the valid and registered rows go, in the transaction that ends the import.
        cursor.execute(
            "DELETE FROM members_importrow WHERE batch_id = %s AND status IN ('valid', 'dup_registry')",
            [batch.pk],
        )
        registry = batch.rows_duplicate_registry + int(job.result.get("registry_duplicates", 0))
        ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.COMMITTING).update(
            status=ImportBatch.Status.COMMITTED,
            rows_created=created,
            rows_valid=created,
            rows_duplicate_registry=registry,
            enrollments_submitted=submitted,
            enrollments_skipped=created - submitted if batch.submit_options.get("submit") else 0,
            committed_at=timezone.now(),
        )
        jobs.job_succeed(job_id=job_id, result=job.result)


# --- Housekeeping ---------------------------------------------------------------------------------------


def imports_purge(*, now: Any = None) -> int:
    """Delete the stored files and staged rows of lists older than IMPORT_KEEP_DAYS."""
    now = now or timezone.now()
    old = ImportBatch.objects.filter(created_at__lt=now - timedelta(days=keep_days())).exclude(
        stored_name="", report_name=""
    )
    count = 0
    for batch in old:
        _delete(batch.stored_name)
        _delete(batch.report_name)
        ImportRow.objects.filter(batch=batch).delete()
        if batch.status in {ImportBatch.Status.UPLOADED, ImportBatch.Status.CHECKED}:
            batch.status = ImportBatch.Status.CANCELLED
        batch.stored_name = batch.report_name = ""
        batch.save(update_fields=["stored_name", "report_name", "status"])
        count += 1
    return count


def import_cancel(*, batch: ImportBatch, actor: Any) -> None:
    with transaction.atomic():
        batch = ImportBatch.objects.visible_to(actor).select_for_update().get(pk=batch.pk)
        if batch.status not in {
            ImportBatch.Status.UPLOADED,
            ImportBatch.Status.CHECKED,
            ImportBatch.Status.FAILED,
        }:
            raise ImportError_(_("This list is being imported or was imported: it cannot be cancelled."))
        ImportRow.objects.filter(batch=batch).delete()
        _delete(batch.stored_name)
        _delete(batch.report_name)
        batch.status = ImportBatch.Status.CANCELLED
        batch.stored_name = batch.report_name = ""
        batch.save(update_fields=["status", "stored_name", "report_name"])
        audit_record(actor=actor, action="members.import.cancelled", target=batch)
