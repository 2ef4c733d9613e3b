"""Exporting a list (registry.ListExport) as CSV or XLSX: at once when small, otherwise by a job.

The rows are fixed when the export is asked for: the ids of the list's rows, in the list's order, with its
filters and search. An export of up to `direct_limit()` rows is answered at once; a larger one is a Job
(kind "list_export") holding the list's name, its filters, the ordered ids and the options, never the
search text or other personal data (the task receives the job's id only). The task writes the file a chunk
per transaction: the job's cursor and the file's committed length are saved together, and a resumed job
cuts the file back to that length first, so a killed worker loses at most one chunk and nothing is written
twice. Each chunk's rows are read again from the user's scope, so a row the user may no longer see is
left out.

Every export and every download of a job's file is audited: who, which list, the filters (the search
shown as ***), the row count and the format. Files are deleted after `keep_days()` days.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from umkm_enroll.audit.services import audit_record
from umkm_enroll.jobs import services as jobs
from umkm_enroll.jobs.models import Job

from . import files, registry
from .files import CSV, XLSX, Cell
from .registry import ListExport, Selection

EXPORTED = "exports.list.exported"
DOWNLOADED = "exports.list.downloaded"
KINDS = (Job.Kind.LIST_EXPORT, Job.Kind.ARREARS_EXPORT)


@dataclass(frozen=True)
class FileKind:
    """A job of another app whose file lives in exports_dir() (a sponsor's invoice): downloaded, purged
    and expired as the exports are. Registered by its app when it is ready."""

    pattern: str  # glob of its files' names
    record_download: Callable[[Job, Any], None]  # the audit entry of a download (job, actor)


OTHER_FILES: dict[str, FileKind] = {}


def register_file_kind(kind: str, file_kind: FileKind) -> None:
    OTHER_FILES[kind] = file_kind


def makes_file(job: Job) -> bool:
    return job.kind in KINDS or job.kind in OTHER_FILES


# A job started this many times (worker deaths, retries) is given up instead of being queued forever.
MAX_ATTEMPTS = 10
# Jobs of the arrears export made before the lists shared this machinery carry no list name.
LEGACY_LIST = "arrears"


class ExportError(Exception):
    """An export that cannot be made (too many rows, an unknown format); the message is for the user."""


def direct_limit() -> int:
    """Exports up to this many rows are answered at once; larger ones run as a background job."""
    return int(settings.EXPORT_DIRECT_LIMIT)


def chunk_size() -> int:
    return int(settings.EXPORT_CHUNK)


def max_rows() -> int:
    return int(settings.EXPORT_MAX_ROWS)


def keep_days() -> int:
    """Export files are deleted this many days after they were made (PDP: keep no longer than needed)."""
    return int(settings.EXPORT_KEEP_DAYS)


def exports_dir() -> Path:
    return Path(settings.DATA_DIR) / "exports"


def audit_filters(selection: Selection) -> dict[str, Any]:
    chosen = {key: value for key, value in selection.filters.items() if value not in ("", None, [], False)}
    if selection.search:
        chosen["q"] = "***"
    return chosen


def _audit(
    *, actor: Any, export: ListExport, filters: dict[str, Any], rows: int, fmt: str, target: Job | None = None
) -> None:
    audit_record(
        actor=actor,
        action=EXPORTED,
        target=target,
        changes={
            "list": (None, export.name),
            "filters": (None, filters),
            "rows": (None, rows),
            "format": (None, fmt),
        },
        region_code=export.region_of(filters),
        object_label=None if target else str(export.label),
    )


def download_name(export: ListExport, fmt: str, today: date) -> str:
    return f"{export.file_stem}-{today:%Y%m%d}.{fmt}"


def row_ids(rows: Any) -> list[int]:
    if isinstance(rows, list | tuple):
        return [row.pk for row in rows]
    return list(rows.values_list("pk", flat=True))


def rows_of(
    export: ListExport, *, user: Any, filters: dict[str, Any], today: date, ids: Sequence[int]
) -> list[list[Cell]]:
    """The exported rows of these ids, in their order, read again from the user's scope and the list's
    filters (without the search: the ids are what it found). Ids the user no longer sees are left out."""
    rows: Any = export.rows(user, Selection(filters=filters), today)
    found = {
        values[0]: values[1:]
        for values in rows.filter(pk__in=list(ids)).order_by().values_list("pk", *export.paths)
    }
    return [export.cells(found[pk]) for pk in ids if pk in found]


# --- asking for an export ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    filename: str
    content_type: str
    rows: int


def export_request(
    *,
    actor: Any,
    export: ListExport,
    selection: Selection,
    fmt: str,
    delimiter: str = ";",
    today: date | None = None,
) -> ExportFile | Job:
    """The list with this selection as a file: the file itself when it is small, otherwise a queued job
    (its page shows the progress and, when done, the download link)."""
    if fmt not in files.FORMATS or delimiter not in files.DELIMITERS:
        raise ExportError(f"unknown format {fmt!r} or delimiter {delimiter!r}")
    today = today or timezone.localdate()
    ids = row_ids(export.rows(actor, selection, today))
    if len(ids) > max_rows():
        raise ExportError(
            _(
                "The list has %(rows)s rows; at most %(limit)s can be exported at once. "
                "Narrow it with the filters."
            )
            % {"rows": f"{len(ids):,}".replace(",", "."), "limit": f"{max_rows():,}".replace(",", ".")}
        )
    filters = audit_filters(selection)
    if len(ids) <= direct_limit():
        rows: list[list[Cell]] = []
        for start in range(0, len(ids), chunk_size()):
            rows += rows_of(
                export,
                user=actor,
                filters=selection.filters,
                today=today,
                ids=ids[start : start + chunk_size()],
            )
        content = files.file_bytes(export.header, rows, fmt, delimiter, str(export.label))
        _audit(actor=actor, export=export, filters=filters, rows=len(rows), fmt=fmt)
        return ExportFile(content, download_name(export, fmt, today), files.CONTENT_TYPES[fmt], len(rows))
    return _job_create(
        actor=actor, export=export, selection=selection, ids=ids, fmt=fmt, delimiter=delimiter, today=today
    )


def _job_create(
    *,
    actor: Any,
    export: ListExport,
    selection: Selection,
    ids: list[int],
    fmt: str,
    delimiter: str,
    today: date,
) -> Job:
    from .tasks import list_export

    with transaction.atomic():
        job = jobs.job_create(kind=Job.Kind.LIST_EXPORT, total=len(ids), actor=actor)
        job.params = {
            "list": export.name,
            "filters": selection.filters,
            # Whether a search chose the rows (its text is not kept: the ids it found are).
            "search": bool(selection.search),
            "ids": ids,
            "format": fmt,
            "delimiter": delimiter,
            "today": today.isoformat(),
            "language": translation.get_language() or settings.LANGUAGE_CODE,
            "chunk": chunk_size(),
            # Names no one can guess, and no clash between databases sharing DATA_DIR.
            "name": f"list-{job.pk}-{secrets.token_hex(8)}",
        }
        job.result = {"cursor": 0, "rows": 0, "bytes": 0, "title": str(export.label)}
        job.save(update_fields=["params", "result"])
        transaction.on_commit(lambda: list_export.delay(job.pk))
    return job


# --- the job -----------------------------------------------------------------------------------------------


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


def file_job_start(job_id: int, *, too_many: str) -> Job | None:
    """Start a run of a job that makes a file for its creator: the job (its creator loaded), or None when
    it has finished already, was started more than MAX_ATTEMPTS times (failed with `too_many`: a file so
    large that it kills the worker is not queued again forever) or its creator no longer exists."""
    if not jobs.job_start(job_id=job_id):
        return None
    job = Job.objects.select_related("created_by", "created_by__office").get(pk=job_id)
    if job.attempts > MAX_ATTEMPTS:
        jobs.job_fail(job_id=job_id, error=too_many)
        return None
    if job.created_by is None:
        jobs.job_fail(job_id=job_id, error=_("The user who started this job no longer exists."))
        return None
    return job


def export_run(job_id: int) -> None:
    """Write an export job's file, a chunk per transaction; resumable after any crash."""
    job = file_job_start(job_id, too_many=_("The export failed too many times; start it again."))
    if job is None:
        return
    actor = job.created_by
    params = job.params
    export = registry.get(params.get("list", LEGACY_LIST))
    today = date.fromisoformat(params["today"])
    ids: list[int] = params["ids"]
    fmt, delimiter = params["format"], params["delimiter"]
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
                rows = rows_of(export, user=actor, filters=params["filters"], today=today, ids=chunk)
                committed = job.result.get("bytes", 0)
                with _open_at(paths.part, committed) as handle:
                    if fmt == CSV:
                        if committed == 0:
                            handle.write(files.csv_start(export.header, delimiter))
                        handle.write(files.csv_lines(rows, delimiter).encode("utf-8"))
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
        _finish(job_id, actor=actor, export=export, params=params, paths=paths)


def _jsonl_rows(path: Path) -> Iterator[list[Cell]]:
    with path.open("rb") as handle:
        for line in handle:
            yield json.loads(line)


def _finish(job_id: int, *, actor: Any, export: ListExport, params: dict[str, Any], paths: _Paths) -> None:
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
                files.write_xlsx(handle, export.header, _jsonl_rows(paths.part), str(export.label))
            os.replace(temporary, paths.final)
        else:
            with _open_at(paths.final, committed) as handle:
                if committed == 0:  # no rows at all: the header still says what the columns are
                    handle.write(files.csv_start(export.header, params["delimiter"]))
        rows = job.result.get("rows", 0)
        result = {
            **job.result,
            "file": str(paths.final.relative_to(exports_dir())),
            "filename": download_name(export, fmt, date.fromisoformat(params["today"])),
            "format": fmt,
            "download_url": reverse("exports:download", args=[job_id]),
        }
        filters = dict(params["filters"])
        selection = Selection(filters=filters, search="***" if params.get("search") else "")
        _audit(actor=actor, export=export, filters=audit_filters(selection), rows=rows, fmt=fmt, target=job)
        jobs.job_succeed(job_id=job_id, result=result)
    if paths.part != paths.final:
        paths.part.unlink(missing_ok=True)


# --- the file ----------------------------------------------------------------------------------------------


def export_file_of(job: Job) -> Path | None:
    """The finished file of an export job, or None (another kind, not finished, deleted)."""
    if not makes_file(job) or job.status != Job.Status.SUCCEEDED:
        return None
    return stored_file(job.result.get("file"))


def stored_file(name: str | None) -> Path | None:
    """The file of that name in exports_dir(), or None (no name, deleted, or a name leading elsewhere)."""
    if not name:
        return None
    root = exports_dir().resolve()
    path = (root / name).resolve()
    if path.parent != root or not path.is_file():
        return None
    return path


def export_download_record(*, job: Job, actor: Any) -> None:
    if job.kind in OTHER_FILES:
        OTHER_FILES[job.kind].record_download(job, actor)
        return
    audit_record(
        actor=actor,
        action=DOWNLOADED,
        target=job,
        changes={
            "list": (None, job.params.get("list", LEGACY_LIST)),
            "rows": (None, job.result.get("rows", 0)),
            "format": (None, job.result.get("format")),
        },
    )


def exports_purge(*, now: Any = None) -> int:
    """Delete export files (and invoices) older than `keep_days()` (PDP: kept no longer than needed), and
    mark their jobs expired; returns the number of files deleted. Leftovers of failed jobs go the same way."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=keep_days())
    deleted = 0
    root = exports_dir()
    if root.is_dir():
        for pattern in ("list-*", "arrears-*", *(kind.pattern for kind in OTHER_FILES.values())):
            for path in root.glob(pattern):
                if path.is_file() and path.stat().st_mtime < cutoff.timestamp():
                    path.unlink(missing_ok=True)
                    deleted += 1
    old = Job.objects.filter(
        kind__in=[*KINDS, *OTHER_FILES], status=Job.Status.SUCCEEDED, finished_at__lt=cutoff
    ).exclude(result__file="")
    for job in old.filter(result__has_key="file").defer("params"):
        Job.objects.filter(pk=job.pk).update(result={**job.result, "file": "", "expired": True})
    return deleted
