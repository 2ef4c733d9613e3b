"""A sponsor programme's monthly invoice: its lines read from the user's scope, the PDF answered at once
when the month has up to `direct_limit()` bills, otherwise made by a background job.

ReportLab sets about 7,000 invoice lines a second here: a province programme of 150,000 participants takes
over 20 seconds, longer than a request may wait. Such an invoice is a Job (kind "sponsor_invoice") holding
the programme, the month and the issue date, nothing personal (the task receives the job's id only). The
task reads the lines again from its creator's scope, writes the PDF under DATA_DIR/exports (readable by
the owner only, written whole under a temporary name, so a killed worker leaves no half file: the job is
queued again and starts over) and the job's page then offers the download, to its creator only (the
exports' download page). Every download is audited; the files are deleted with the list exports after
EXPORT_KEEP_DAYS.
"""

from __future__ import annotations

import os
import secrets
import time
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from umkm_enroll.audit.services import audit_record
from umkm_enroll.exports.services import (
    FileKind,
    export_file_of,
    exports_dir,
    file_job_start,
    register_file_kind,
)
from umkm_enroll.jobs import services as jobs
from umkm_enroll.jobs.models import Job

from . import invoices
from .models import Bill, SponsorProgramme

DOWNLOADED = "contributions.programme.invoice_downloaded"
FILE_PREFIX = "invoice-"
# The job's progress is saved (a sign of life for the stale-job check) at most this often.
PROGRESS_EVERY_SECONDS = 1.0


def direct_limit() -> int:
    """Invoices of up to this many bills are answered at once; larger ones are made by a job."""
    return int(settings.INVOICE_DIRECT_LIMIT)


def bills_of(user: Any, programme: SponsorProgramme, month: date) -> QuerySet[Bill]:
    return Bill.objects.visible_to(user).filter(sponsor_programme=programme, month=month)


def invoice_of(user: Any, programme: SponsorProgramme, month: date, *, issued_on: date) -> invoices.Invoice:
    """The invoice of the programme's month as the user sees it: its lines (an iterator, so that 150,000
    participants are never held as model instances) and totals from the bills in the user's scope."""
    bills = bills_of(user, programme, month)
    summary = bills.aggregate(
        count=Count("pk"),
        total=Coalesce(Sum("amount"), 0),
        paid=Coalesce(Sum("paid"), 0),
        due=Min("due_date"),
    )
    lines = (
        invoices.InvoiceLine(name=name, nik_masked=nik, kpj=kpj, amount=amount)
        for name, nik, kpj, amount in bills.order_by("enrollment__member__name_search", "pk")
        .values_list(
            "enrollment__member__full_name",
            "enrollment__member__nik_masked",
            "enrollment__member__kpj_number",
            "amount",
        )
        .iterator(chunk_size=2000)
    )
    office = getattr(user, "office", None)
    return invoices.Invoice(
        number=invoices.invoice_number(programme.pk, month),
        sponsor=programme.sponsor,
        programme=programme.name,
        region=programme.regency.name if programme.regency else programme.province.name,
        legal_basis=programme.legal_basis,
        month=month,
        issued_on=issued_on,
        due_date=summary["due"],
        sponsor_percent=programme.sponsor_percent,
        count=summary["count"],
        total=summary["total"],
        paid=summary["paid"],
        issuer=str(office) if office else "",
        lines=lines,
    )


def record_download(*, actor: Any, programme: SponsorProgramme, month: date, bills: int) -> None:
    audit_record(
        actor=actor,
        action=DOWNLOADED,
        target=programme,
        changes={"month": (None, f"{month:%Y-%m}"), "bills": (None, bills)},
    )


def invoice_pdf(*, actor: Any, programme: SponsorProgramme, month: date) -> tuple[bytes, int]:
    """The invoice made at once (a small one), its download audited: the PDF and its number of bills."""
    invoice = invoice_of(actor, programme, month, issued_on=timezone.localdate())
    pdf = invoices.render_invoice(invoice)
    record_download(actor=actor, programme=programme, month=month, bills=invoice.count)
    return pdf, invoice.count


# --- the job -----------------------------------------------------------------------------------------------


def _jobs_of(actor: Any, programme: SponsorProgramme, month: date) -> QuerySet[Job]:
    return Job.objects.filter(
        kind=Job.Kind.SPONSOR_INVOICE,
        created_by=actor,
        params__programme=programme.pk,
        params__month=month.isoformat(),
    )


def invoice_job(*, actor: Any, programme: SponsorProgramme, month: date, bills: int) -> Job:
    """The job making this invoice for the user: the one already waiting or running, or a new one."""
    from .tasks import sponsor_invoice

    with transaction.atomic():
        # Two clicks at once make one job: the programme's row is the lock.
        SponsorProgramme.objects.select_for_update().filter(pk=programme.pk).first()
        running = (
            _jobs_of(actor, programme, month)
            .select_for_update()
            .filter(status__in=[Job.Status.PENDING, Job.Status.RUNNING])
            .first()
        )
        if running is not None:
            return running
        job = jobs.job_create(kind=Job.Kind.SPONSOR_INVOICE, total=bills, actor=actor)
        job.params = {
            "programme": programme.pk,
            "month": month.isoformat(),
            "issued_on": timezone.localdate().isoformat(),
            "language": translation.get_language() or settings.LANGUAGE_CODE,
            # A name no one can guess, and no clash between databases sharing DATA_DIR.
            "name": f"{FILE_PREFIX}{job.pk}-{secrets.token_hex(8)}",
        }
        job.result = {
            "title": _("Invoice %(number)s") % {"number": invoices.invoice_number(programme.pk, month)},
            # Where to ask for it again once the file is deleted.
            "again_url": reverse("contributions:programme_invoice", args=[programme.pk])
            + f"?bulan={month:%Y-%m}",
        }
        job.save(update_fields=["params", "result"])
        transaction.on_commit(lambda: sponsor_invoice.delay(job.pk))
    return job


def latest_file_job(*, actor: Any, programme: SponsorProgramme, month: date) -> Job | None:
    """The user's latest finished invoice of this programme and month whose file is still kept."""
    for job in _jobs_of(actor, programme, month).filter(status=Job.Status.SUCCEEDED).order_by("-pk")[:5]:
        if invoice_file_of(job) is not None:
            return job
    return None


def invoice_file_of(job: Job) -> Path | None:
    """The finished PDF of an invoice job, or None (another kind, not finished, deleted)."""
    if job.kind != Job.Kind.SPONSOR_INVOICE:
        return None
    return export_file_of(job)


def record_job_download(job: Job, actor: Any) -> None:
    """The audit entry of a download of an invoice job's PDF (through the exports' download page)."""
    programme = SponsorProgramme.objects.get(pk=job.params["programme"])
    month = date.fromisoformat(job.params["month"])
    record_download(actor=actor, programme=programme, month=month, bills=int(job.result.get("bills", 0)))


register_file_kind(
    Job.Kind.SPONSOR_INVOICE, FileKind(pattern=f"{FILE_PREFIX}*", record_download=record_job_download)
)


class _Progress:
    """Saves the share of the lines set so far as the job's progress, at most once a second (each save is
    also the job's sign of life)."""

    def __init__(self, job_id: int, total: int) -> None:
        self.job_id = job_id
        self.total = total
        self.saved_at = time.monotonic()

    def __call__(self, fraction: float) -> None:
        now = time.monotonic()
        if now - self.saved_at < PROGRESS_EVERY_SECONDS:
            return
        self.saved_at = now
        done = min(self.total, int(self.total * fraction))
        Job.objects.filter(pk=self.job_id, status=Job.Status.RUNNING).update(
            done=done, heartbeat_at=timezone.now()
        )


def invoice_run(job_id: int) -> None:
    """Make an invoice job's PDF (from the start on every run: the file is written whole or not at all,
    under a name of the run's own, so two runs of the job never write into each other)."""
    job = file_job_start(job_id, too_many=_("The invoice failed too many times: ask for it again."))
    if job is None:
        return
    actor = job.created_by
    params = job.params
    programme = (
        SponsorProgramme.objects.visible_to(actor)
        .select_related("province", "regency")
        .filter(pk=params["programme"])
        .first()
    )
    if programme is None:
        jobs.job_fail(job_id=job_id, error=_("The programme is no longer in your area."))
        return
    month = date.fromisoformat(params["month"])
    with translation.override(params.get("language") or settings.LANGUAGE_CODE):
        invoice = invoice_of(actor, programme, month, issued_on=date.fromisoformat(params["issued_on"]))
        Job.objects.filter(pk=job_id).update(total=invoice.count)
        pdf = invoices.render_invoice(invoice, progress=_Progress(job_id, invoice.count))
        path = exports_dir() / f"{params['name']}.pdf"
        _write_whole(path, pdf)
        Job.objects.filter(pk=job_id).update(done=invoice.count)
        jobs.job_succeed(
            job_id=job_id,
            result={
                **job.result,
                "file": path.name,
                "filename": invoices.invoice_filename(programme.pk, month),
                "format": "pdf",
                "bills": invoice.count,
                "download_url": reverse("exports:download", args=[job_id]),
            },
        )


def _write_whole(path: Path, content: bytes) -> None:
    """The file written under a temporary name and renamed: readers never see half of it; only the owner
    may read it (it holds names)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
    with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
