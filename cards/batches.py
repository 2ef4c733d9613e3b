"""Print batches: cards chosen by a filter, rendered to PDF by a Celery job in parts, each card exactly once.

The job holds the enrollment ids in print order (grouped by regency or cooperative, then by name) and a
cursor. Each part (at most CARD_BATCH_PART cards of one group) is one transaction: the cards it needs are
issued, all are marked printed and audited, the PDF is written under a name fixed by its part number,
and the cursor moves on. A worker killed in the middle loses only the part in progress; the resumed
task writes that part again under the same name, so no card is printed twice and none is skipped.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from members.models import Enrollment
from umkm_enroll.accounts.models import Office
from umkm_enroll.audit.services import audit_entry, audit_record_many
from umkm_enroll.jobs import services as jobs
from umkm_enroll.jobs.models import Job

from .models import VALID_STATUSES, Card, CardStatus, PrintBatch
from .signing import card_token

FILTER_KEYS = ("province", "regency", "branch", "cooperative", "import_batch", "approved_from", "approved_to")


class BatchError(Exception):
    """A refused batch, with a message for the user."""


def batch_dir(batch_id: int) -> Path:
    return Path(settings.DATA_DIR) / "card-batches" / str(batch_id)


def candidates(user: Any, filters: dict[str, Any]) -> QuerySet[Enrollment]:
    """Enrollments whose card may be printed: approved or active, with a KPJ number, in the user's area,
    narrowed by the filters (codes, ids and ISO dates)."""
    enrollments = Enrollment.objects.visible_to(user).eligible().filter(member__kpj_number__isnull=False)
    if filters.get("province"):
        enrollments = enrollments.filter(member__province_id=filters["province"])
    if filters.get("regency"):
        enrollments = enrollments.filter(member__regency_id=filters["regency"])
    if filters.get("branch"):
        served = Office.objects.filter(pk=filters["branch"], kind=Office.Kind.BPJS_BRANCH).values(
            "served_regencies"
        )
        enrollments = enrollments.filter(member__regency_id__in=served)
    if filters.get("cooperative"):
        enrollments = enrollments.filter(member__cooperative_id=filters["cooperative"])
    if filters.get("import_batch"):
        enrollments = enrollments.filter(member__import_batch_id=filters["import_batch"])
    if filters.get("approved_from"):
        enrollments = enrollments.filter(decided_at__date__gte=filters["approved_from"])
    if filters.get("approved_to"):
        enrollments = enrollments.filter(decided_at__date__lte=filters["approved_to"])
    if filters.get("not_printed"):
        printed = Card.objects.filter(status__in=[CardStatus.PRINTED, CardStatus.HANDED_OVER]).values(
            "enrollment"
        )
        enrollments = enrollments.exclude(pk__in=printed)
    return enrollments


def batch_start(
    *, actor: Any, filters: dict[str, Any], layout: str, split_by: str, description: str = ""
) -> PrintBatch:
    from .tasks import render_batch

    if actor.office_id is None:
        raise BatchError(_("Only a user of an office can print cards."))
    group = "member__regency_id" if split_by == PrintBatch.SplitBy.REGENCY else "member__cooperative_id"
    rows = list(
        candidates(actor, filters).order_by(group, "member__name_search", "pk").values_list("pk", group)
    )
    if not rows:
        raise BatchError(_("No card to print matches this selection."))
    if len(rows) > settings.CARD_BATCH_LIMIT:
        raise BatchError(
            _("%(count)s cards match: at most %(limit)s in one batch. Narrow the selection.")
            % {
                "count": f"{len(rows):,}".replace(",", "."),
                "limit": f"{settings.CARD_BATCH_LIMIT:,}".replace(",", "."),
            }
        )
    with transaction.atomic():
        job = jobs.job_create(kind=Job.Kind.CARD_BATCH, total=len(rows), actor=actor)
        batch = PrintBatch.objects.create(
            office=actor.office,
            created_by=actor,
            filters={key: value for key, value in filters.items() if value},
            description=description[:300],
            layout=layout,
            split_by=split_by,
            total=len(rows),
            job=job,
        )
        job.params = {
            "batch": batch.pk,
            "ids": [pk for pk, _group in rows],
            "groups": [str(group or "-") for _pk, group in rows],
        }
        job.result = {"cursor": 0, "files": []}
        job.save(update_fields=["params", "result"])
        transaction.on_commit(lambda: render_batch.delay(job.pk))
    return batch


def _parts(ids: Sequence[int], groups: Sequence[str], start: int, size: int) -> tuple[int, int]:
    """The next part [start, end): at most `size` cards, never two groups."""
    end = start + 1
    while end < len(ids) and end - start < size and groups[end] == groups[start]:
        end += 1
    return start, end


def _branches_by_regency(regencies: set[str]) -> dict[str, str]:
    contacts: dict[str, str] = {}
    for office in Office.objects.filter(
        kind=Office.Kind.BPJS_BRANCH, served_regencies__in=regencies
    ).prefetch_related("served_regencies"):
        text = ", ".join(part for part in (office.name, office.phone, office.address) if part)
        for regency in office.served_regencies.all():
            contacts.setdefault(regency.code, text)
    return contacts


def _faces(enrollments: list[Enrollment], cards: dict[int, Card], office: str) -> list[Any]:
    from .rendering import CardFace

    base = settings.PUBLIC_BASE_URL.rstrip("/")
    contacts = _branches_by_regency({e.member.regency_id for e in enrollments})
    faces = []
    for enrollment in enrollments:
        member = enrollment.member
        card = cards[enrollment.pk]
        faces.append(
            CardFace(
                card_id=card.pk,
                name=member.full_name,
                nik_masked=member.nik_masked,
                kpj=member.kpj_number or "",
                programs="JKK, JKM" + (", JHT" if enrollment.jht else ""),
                coverage_start=enrollment.coverage_start or date.today(),
                region=f"{member.regency.name}, {member.province.name}",
                office=office,
                branch_contact=contacts.get(member.regency_id, ""),
                verify_url=f"{base}/verify/{card_token(card.pk)}/",
            )
        )
    return faces


def _render_part(batch: PrintBatch, job: Job, ids: list[int], group: str, part: int) -> dict[str, Any]:
    from .rendering import render_sheets, render_singles

    actor = job.created_by
    enrollments = list(
        Enrollment.objects.select_related("member__regency", "member__province").filter(pk__in=ids)
    )
    order = {pk: index for index, pk in enumerate(ids)}
    enrollments.sort(key=lambda e: order[e.pk])
    valid = {
        card.enrollment_id: card
        for card in Card.objects.select_for_update().filter(enrollment_id__in=ids, status__in=VALID_STATUSES)
    }
    # The cards still missing, issued in one statement (the unique constraint keeps one valid per enrollment).
    issued = Card.objects.bulk_create(
        [Card(enrollment=e, issued_by=actor) for e in enrollments if e.pk not in valid]
    )
    valid.update({card.enrollment_id: card for card in issued})
    entries = [
        audit_entry(
            actor=actor, action="cards.card.issued", target=card, changes={"status": ("", card.status)}
        )
        for card in issued
    ]
    now = timezone.now()
    for card in valid.values():
        before = card.status
        if card.status == CardStatus.ISSUED:
            card.status = CardStatus.PRINTED
        entries.append(
            audit_entry(
                actor=actor,
                action="cards.card.printed",
                target=card,
                changes={"status": (before, card.status)},
                reason=_("Print batch #%(batch)s") % {"batch": batch.pk},
            )
        )
    Card.objects.filter(pk__in=[c.pk for c in valid.values()], status=CardStatus.ISSUED).update(
        status=CardStatus.PRINTED, printed_at=now
    )
    Card.objects.filter(pk__in=[c.pk for c in valid.values()]).exclude(status=CardStatus.ISSUED).update(
        printed_at=now
    )
    audit_record_many(entries)
    folder = batch_dir(batch.pk)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"kartu-{batch.pk}-{part:04d}-{group.replace('.', '')}.pdf"
    temporary = folder / f".{name}.tmp"
    render = render_sheets if batch.layout == PrintBatch.Layout.SHEETS else render_singles
    with temporary.open("wb") as out:
        render(_faces(enrollments, valid, batch.office.name), out)
    os.replace(temporary, folder / name)
    return {"name": name, "group": group, "cards": len(enrollments), "bytes": (folder / name).stat().st_size}


def batch_run(job_id: int) -> None:
    if not jobs.job_start(job_id=job_id):
        return
    job = Job.objects.select_related("created_by").get(pk=job_id)
    batch = PrintBatch.objects.select_related("office").get(pk=job.params["batch"])
    ids: list[int] = job.params["ids"]
    groups: list[str] = job.params["groups"]
    while True:
        with transaction.atomic():
            job = Job.objects.select_for_update(of=("self",)).select_related("created_by").get(pk=job_id)
            cursor = job.result.get("cursor", 0)
            if cursor >= len(ids):
                break
            start, end = _parts(ids, groups, cursor, settings.CARD_BATCH_PART)
            part = len(job.result.get("files", []))
            described = _render_part(batch, job, ids[start:end], groups[start], part)
            job.result = {**job.result, "cursor": end, "files": [*job.result.get("files", []), described]}
            job.done = end
            jobs.job_heartbeat(job)
            job.save(update_fields=["result", "done", "heartbeat_at"])
    job = Job.objects.get(pk=job_id)
    folder = batch_dir(batch.pk)
    zip_name = f"kartu-{batch.pk}.zip"
    temporary = folder / f".{zip_name}.tmp"
    with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_STORED) as archive:
        for described in job.result["files"]:
            archive.write(folder / described["name"], arcname=described["name"])
    os.replace(temporary, folder / zip_name)
    PrintBatch.objects.filter(pk=batch.pk).update(
        expires_at=timezone.now() + timedelta(days=settings.CARD_BATCH_KEEP_DAYS)
    )
    jobs.job_succeed(job_id=job_id, result={**job.result, "zip": zip_name})


def batches_purge(now: Any = None) -> int:
    """Delete the files of batches past their keeping time (they hold names and KPJ numbers)."""
    now = now or timezone.now()
    purged = 0
    for batch in PrintBatch.objects.filter(expired=False, expires_at__lt=now):
        folder = batch_dir(batch.pk)
        if folder.is_dir():
            for path in folder.iterdir():
                path.unlink(missing_ok=True)
            folder.rmdir()
        PrintBatch.objects.filter(pk=batch.pk).update(expired=True)
        purged += 1
    return purged


def _filter_name(key: str, value: Any) -> str:
    """A filter's region, office or cooperative by its name (its code when it is gone)."""
    from django.apps import apps

    models = {
        "province": "regions.Province",
        "regency": "regions.Regency",
        "branch": "accounts.Office",
        "cooperative": "cooperatives.Cooperative",
    }
    if key not in models:
        return f"#{value}"
    found = apps.get_model(models[key])._default_manager.filter(pk=value).first()
    return str(found.name) if found is not None else str(value)


def describe(filters: dict[str, Any]) -> str:
    """A readable summary of the filters for the batch list (codes and dates, no personal data)."""
    parts = []
    labels = {
        "province": _("province"),
        "regency": _("regency/city"),
        "branch": _("branch"),
        "cooperative": _("cooperative"),
        "import_batch": _("import batch"),
    }
    for key, label in labels.items():
        if filters.get(key):
            parts.append(f"{label} {_filter_name(key, filters[key])}")
    if filters.get("approved_from") or filters.get("approved_to"):
        start = filters.get("approved_from")
        end = filters.get("approved_to")
        parts.append(
            _("approved %(start)s to %(end)s")
            % {
                "start": date_format(date.fromisoformat(start)) if start else "…",
                "end": date_format(date.fromisoformat(end)) if end else "…",
            }
        )
    if filters.get("not_printed"):
        parts.append(_("not yet printed"))
    return "; ".join(parts) or _("all of my area")
