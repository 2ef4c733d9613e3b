"""A print batch through real workers: a worker killed in the middle of a batch, the batch resumed by
another, and every card in the files exactly once."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pypdfium2 as pdfium
import pytest
from django.db.models import Count

from cards.batches import batch_dir, batch_start
from cards.models import Card, CardStatus
from members.models import Enrollment, Member
from tests.conftest import wait_until
from tests.factories import OfficeFactory, UserFactory, make_submitted_enrollments
from umkm_enroll.accounts.models import Role
from umkm_enroll.audit.models import AuditEntry
from umkm_enroll.jobs.models import Job
from umkm_enroll.jobs.services import jobs_requeue_stale

pytestmark = pytest.mark.worker

CARDS = 600
PART = "50"


def test_a_killed_worker_leaves_the_batch_to_finish_with_every_card_once(celery_worker_process):
    operator = UserFactory.create(office=OfficeFactory.diskop_regency("52.71"), roles=[Role.OPERATOR])
    ids = make_submitted_enrollments(CARDS, regency="52.71", operator=operator)
    Enrollment.objects.filter(pk__in=ids).update(status="active", coverage_start="2026-01-01")
    for member in Member.objects.filter(enrollments__pk__in=ids):
        Member.objects.filter(pk=member.pk).update(kpj_number=f"7{member.pk:010d}")
    admin = UserFactory.create(office=OfficeFactory.diskop_province("52"), roles=[Role.CARD_ADMIN])

    batch = batch_start(actor=admin, filters={}, layout="sheets", split_by="regency")
    job = batch.job
    assert job is not None
    first = celery_worker_process(extra_env={"CARD_BATCH_PART": PART})

    def started() -> bool:
        job.refresh_from_db(fields=["done"])
        return job.done > 0

    wait_until(started, timeout=120, interval=0.02)
    first.kill()
    job.refresh_from_db()
    assert 0 < job.done < CARDS, f"not caught in the middle: {job.done} of {CARDS}"
    assert job.status == Job.Status.RUNNING

    celery_worker_process(extra_env={"CARD_BATCH_PART": PART})
    assert jobs_requeue_stale(older_than=timedelta(0)) == [job.pk]

    def finished() -> bool:
        job.refresh_from_db()
        return job.is_finished

    wait_until(finished, timeout=300, interval=0.2)
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert (job.done, job.attempts) == (CARDS, 2)
    files = job.result["files"]
    assert sum(f["cards"] for f in files) == CARDS
    assert len({f["name"] for f in files}) == len(files)
    # One valid card per enrollment, printed once, audited once.
    assert Card.objects.filter(status=CardStatus.PRINTED).count() == CARDS
    per_card = (
        AuditEntry.objects.filter(action="cards.card.printed").values("object_id").annotate(n=Count("pk"))
    )
    assert {row["n"] for row in per_card} == {1}
    assert per_card.count() == CARDS
    # Every KPJ number appears on exactly one front across the files.
    seen: Counter[str] = Counter()
    for described in files:
        pdf = pdfium.PdfDocument(batch_dir(batch.pk) / described["name"])
        for page in pdf:
            seen.update(re.findall(r"\b7\d{10}\b", page.get_textpage().get_text_range()))
    assert len(seen) == CARDS
    assert set(seen.values()) == {1}
