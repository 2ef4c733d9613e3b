"""Writes of the dashboards app: coverage targets (one by one or from a file, audited) and the upkeep of
the tallies (compaction, rebuild)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from umkm_enroll.accounts.scoping import Scope
from umkm_enroll.audit.services import audit_entry, audit_record, audit_record_many, diff, snapshot
from umkm_enroll.jobs.models import Job

from . import tally_sql
from .models import CoverageTarget, MonthlyReport, TargetKind
from .targets_file import LineError, read_targets

TARGET_FIELDS = ["province", "regency", "year", "kind", "count", "source"]
COMPACT_LOCK = 0xDA5B0  # pg_try_advisory_xact_lock: one compaction at a time


class TargetError(Exception):
    """A refused target, with a message for the user."""


def target_save(*, target: CoverageTarget, actor: Any) -> CoverageTarget:
    """Create or change a target (the form has validated it), with an audit entry of what changed."""
    with transaction.atomic():
        if target.pk:
            before = snapshot(
                CoverageTarget.objects.select_for_update(of=("self",)).get(pk=target.pk), TARGET_FIELDS
            )
            action = "dashboards.target.changed"
        else:
            before = {}
            action = "dashboards.target.created"
        if target.regency_id:
            target.province_id = target.regency_id[:2]
        target.updated_by = actor
        target.save()
        audit_record(
            actor=actor,
            action=action,
            target=target,
            changes=diff(before, snapshot(target, TARGET_FIELDS), TARGET_FIELDS),
            region_code=target.audit_region_code,
        )
    return target


def target_delete(*, target: CoverageTarget, actor: Any) -> None:
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="dashboards.target.deleted",
            target=target,
            changes=diff(snapshot(target, TARGET_FIELDS), {}, TARGET_FIELDS),
            region_code=target.audit_region_code,
        )
        target.delete()


@dataclass(frozen=True)
class ImportResult:
    created: int
    changed: int
    unchanged: int
    errors: list[LineError]

    @property
    def saved(self) -> bool:
        return not self.errors


def targets_import(*, content: bytes, actor: Any) -> ImportResult:
    """Create or update the targets of a file, all or nothing: with any unreadable row, nothing is saved
    and the rows' problems are returned. Raises TargetFileError when the file cannot be read at all."""
    from umkm_enroll.regions.models import Province, Regency

    lines, errors = read_targets(content)
    provinces = set(Province.objects.values_list("code", flat=True))
    regencies = set(Regency.objects.values_list("code", flat=True))
    for line in lines:
        known = regencies if "." in line.region else provinces
        if line.region not in known:
            errors.append(
                LineError(line.row, _("There is no region with the code %(code)s.") % {"code": line.region})
            )
    if errors:
        return ImportResult(0, 0, 0, sorted(errors, key=lambda error: error.row))
    created = changed = unchanged = 0
    entries = []
    with transaction.atomic():
        for line in lines:
            regency = line.region if "." in line.region else None
            existing = (
                CoverageTarget.objects.select_for_update(of=("self",))
                .filter(province_id=line.region[:2], regency_id=regency, year=line.year, kind=line.kind)
                .first()
            )
            before = snapshot(existing, TARGET_FIELDS) if existing else {}
            target = existing or CoverageTarget(
                province_id=line.region[:2], regency_id=regency, year=line.year, kind=line.kind
            )
            target.count, target.source, target.updated_by = line.count, line.source, actor
            changes = diff(before, snapshot(target, TARGET_FIELDS), TARGET_FIELDS)
            if existing and not changes:
                unchanged += 1
                continue
            target.save()
            created += existing is None
            changed += existing is not None
            entries.append(
                audit_entry(
                    actor=actor,
                    action="dashboards.target.imported",
                    target=target,
                    changes=changes,
                    region_code=target.audit_region_code,
                )
            )
        audit_record_many(entries)
    return ImportResult(created, changed, unchanged, [])


def tallies_compact() -> bool:
    """Fold the tallies' delta rows into one row per key; False when another compaction is running."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [COMPACT_LOCK])
        if not cursor.fetchone()[0]:
            return False
        cursor.execute("SELECT dashboards_compact()")
    return True


def tallies_rebuild() -> None:
    """Count everything afresh from the rows (after a restore, or to prove the triggers right). Writers wait
    for the tallies' lock meanwhile, so nothing is counted twice or missed."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE dashboards_tally, dashboards_monthtally IN ACCESS EXCLUSIVE MODE")
        cursor.execute("DELETE FROM dashboards_tally")
        cursor.execute("DELETE FROM dashboards_monthtally")
        cursor.execute("SET LOCAL work_mem = '128MB'")
        for statement in tally_sql.REBUILD_SQL:
            cursor.execute(statement)


# --- monthly reports ---------------------------------------------------------------------------------------

REPORTS_LOCK = 0xDA5B1  # pg_advisory_xact_lock: one start of a month's reports at a time
REPORT_KINDS = ("ministry", "diskop_province", "diskop_regency", "bpjs_regional", "bpjs_branch")


def office_scope(office: Any) -> Scope:
    """The area an office's users see (accounts.scoping.scope_of without a user): the ministry sees the
    whole country."""
    from umkm_enroll.accounts.models import Office
    from umkm_enroll.accounts.scoping import EVERYTHING, NOTHING, office_regency_codes, with_whole_provinces

    if not office.active:
        return NOTHING
    if office.kind == Office.Kind.MINISTRY:
        return EVERYTHING
    return with_whole_provinces(office_regency_codes(office))


def report_offices() -> list[int]:
    """The offices that get a monthly report: every active office with an area (a branch serving no
    regency yet has none), the ministry's being the national report."""
    from umkm_enroll.accounts.models import Office

    return [
        office.pk
        for office in Office.objects.filter(active=True, kind__in=REPORT_KINDS).order_by("pk")
        if office_scope(office).everything or office_scope(office).regency_codes
    ]


def target_sources(*, scope: Scope, province: str | None, regency: str | None, year: int) -> str:
    """The sources and years of the UMKM targets the report's coverage is measured against, as the
    dashboard picks them (selectors._targets): the latest up to `year`; a whole province's own target, or
    else its regencies'."""
    rows = CoverageTarget.objects.filter(year__lte=year, kind=TargetKind.UMKM)
    if regency:
        rows = rows.filter(regency=regency)
    elif province:
        rows = rows.filter(province=province)
    elif not scope.everything:
        rows = rows.filter(province__in=sorted(scope.province_codes))
    latest: dict[tuple[str, str], tuple[int, str]] = {}
    for their_province, their_regency, their_year, source in rows.values_list(
        "province_id", "regency_id", "year", "source"
    ):
        key = (their_province, their_regency or "")
        if key not in latest or latest[key][0] < their_year:
            latest[key] = (their_year, source)
    used: set[tuple[str, int]] = set()
    for province_code in sorted({p for p, _r in latest}):
        whole = scope.everything or province_code in scope.whole_provinces
        if regency:
            picked = [key for key in latest if key[1] == regency]
        elif whole and (province_code, "") in latest:
            picked = [(province_code, "")]
        else:
            picked = [
                key for key in latest if key[0] == province_code and key[1] and scope.covers_regency(key[1])
            ]
        used |= {(latest[key][1], latest[key][0]) for key in picked}
    return "; ".join(f"{source} ({their_year})" for source, their_year in sorted(used))


def _area_label(figures: Any, scope: Scope) -> str:
    """The dashboard names a branch's (or a regional office's) area "Your area": name its regencies."""
    from umkm_enroll.regions.models import Regency

    if figures.area_code or scope.everything:
        return figures.area_name
    names = list(Regency.objects.filter(code__in=sorted(scope.regency_codes)).values_list("name", flat=True))
    if len(names) > 8:
        return ngettext("%(count)s regency/city", "%(count)s regencies/cities", len(names)) % {
            "count": len(names)
        }
    return ", ".join(names)


def monthly_report_generate(
    *, office: Any, month: date, today: date, job_id: int | None = None
) -> MonthlyReport:
    """Make (or make again) an office's report of `month`, figures as of `today`. The files are written
    first, the row points at them once committed, and the files it pointed at before are then deleted."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from .reports import render_pdf, render_xlsx, report_content
    from .selectors import dashboard_figures, default_area

    scope = office_scope(office)
    province, regency = default_area(scope)
    now = timezone.now()
    with translation.override("id"):
        figures = dashboard_figures(scope=scope, month=month, province=province, regency=regency, today=today)
        figures.area_name = _area_label(figures, scope)
        content = report_content(
            figures=figures,
            office=office.name,
            target_sources=target_sources(scope=scope, province=province, regency=regency, year=month.year),
            generated_at=timezone.localtime(now),
        )
        pdf, xlsx = render_pdf(content), render_xlsx(content)
    with transaction.atomic():
        report, _created = MonthlyReport.objects.select_for_update().get_or_create(office=office, month=month)
        old = [name for name in (report.pdf.name, report.xlsx.name) if name]
        # Names no one can guess, and no clash with an earlier version still being downloaded.
        stem = f"{month:%Y-%m}-office-{office.pk}-{secrets.token_hex(6)}"
        report.pdf.save(f"{stem}.pdf", ContentFile(pdf), save=False)
        report.xlsx.save(f"{stem}.xlsx", ContentFile(xlsx), save=False)
        report.status = MonthlyReport.Status.READY
        report.generated_at = now
        report.figures_as_of = today
        report.error = ""
        report.job_id = job_id
        report.save(update_fields=["pdf", "xlsx", "status", "generated_at", "figures_as_of", "error", "job"])
        transaction.on_commit(lambda: _delete_files(default_storage, old))
    return report


def _delete_files(storage: Any, names: list[str]) -> None:
    for name in names:
        storage.delete(name)


def monthly_reports_start(
    *, month: date, today: date, regenerate: bool = False, actor: Any = None, queue: bool = True
) -> tuple[Job, bool]:
    """The job making every office's report of `month` (and whether it is new), queued for a worker
    unless the caller runs it itself. Without `regenerate`, a month has one such job: the beat running
    twice queues nothing twice."""
    from umkm_enroll.jobs import services as jobs

    from .tasks import monthly_reports_job

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REPORTS_LOCK])
        if not regenerate:
            existing = Job.objects.filter(
                kind=Job.Kind.MONTHLY_REPORT, params__month=month.isoformat(), params__regenerate=False
            ).first()
            if existing:
                return existing, False
        offices = report_offices()
        job = jobs.job_create(kind=Job.Kind.MONTHLY_REPORT, total=len(offices), actor=actor)
        job.params = {
            "month": month.isoformat(),
            "today": today.isoformat(),
            "regenerate": regenerate,
            "offices": offices,
        }
        job.save(update_fields=["params"])
        if actor is not None:
            audit_record(
                actor=actor,
                action="dashboards.monthly_reports.requested",
                target=job,
                changes={"month": (None, f"{month:%Y-%m}")},
            )
        if queue:
            transaction.on_commit(lambda: monthly_reports_job.delay(job.pk))
    return job, True


def monthly_reports_run(job_id: int) -> None:
    """Make the reports of a job, office by office; a run after a lost worker skips the offices done."""
    from umkm_enroll.accounts.models import Office
    from umkm_enroll.jobs import services as jobs

    if not jobs.job_start(job_id=job_id):
        return
    job = Job.objects.get(pk=job_id)
    month = date.fromisoformat(job.params["month"])
    today = date.fromisoformat(job.params["today"])
    ids = job.params["offices"]
    finished = MonthlyReport.objects.filter(office_id__in=ids, month=month, status=MonthlyReport.Status.READY)
    if job.params.get("regenerate"):
        finished = finished.filter(generated_at__gte=job.created_at)
    failed = 0
    for office in Office.objects.filter(pk__in=ids).order_by("pk"):
        if finished.filter(office=office).exists():
            continue
        try:
            monthly_report_generate(office=office, month=month, today=today, job_id=job_id)
        except (ValueError, LookupError, OSError) as error:
            # A report that cannot be made (a file not written) does not stop the others.
            failed += 1
            MonthlyReport.objects.update_or_create(
                office=office,
                month=month,
                create_defaults={"status": MonthlyReport.Status.FAILED, "error": str(error)[:500]},
                defaults={"error": str(error)[:500], "job_id": job_id},
            )
        Job.objects.filter(pk=job_id).update(
            done=finished.count(), failed=failed, heartbeat_at=timezone.now()
        )
    jobs.job_succeed(job_id=job_id, result={"month": job.params["month"], "reports": finished.count()})


def monthly_report_download_record(*, report: MonthlyReport, fmt: str, actor: Any) -> None:
    office = report.office
    audit_record(
        actor=actor,
        action="dashboards.monthly_report.downloaded",
        target=report,
        changes={"format": (None, fmt)},
        region_code=office.regency_id or office.province_id or "",
    )
