"""Re-encrypt NIKs and family-card numbers under the current key (the first of NIK_ENCRYPTION_KEYS).

Rotation: put the new key first in NIK_ENCRYPTION_KEYS, keep the old one after it, deploy, run this
command, then remove the old key. `--rehash` recomputes every lookup digest with the current
NIK_HMAC_KEY (after changing that key). Batches commit one by one, so the command can be stopped and
run again: it only touches rows still under an old key.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q

from members.models import Member
from members.services import KK_PURPOSE, NIK_PURPOSE
from members.vault import vault
from umkm_enroll.audit.services import audit_record

BATCH = 1000


class Command(BaseCommand):
    help = "Re-encrypt NIKs under the current key; with --rehash also recompute the lookup digests."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--rehash", action="store_true", help="recompute every NIK digest (new HMAC key)")

    def handle(self, *args, rehash: bool = False, **options) -> None:
        keys = vault()
        stale = ~Q(nik_key_id=keys.current_key_id) | (
            Q(kk_ciphertext__isnull=False) & ~Q(kk_key_id=keys.current_key_id)
        )
        last_pk = 0
        changed = 0
        while True:
            with transaction.atomic():
                rows = Member.objects.filter(pk__gt=last_pk)
                if not rehash:
                    rows = rows.filter(stale)
                batch = list(rows.order_by("pk").select_for_update()[:BATCH])
                if not batch:
                    break
                for member in batch:
                    nik = keys.decrypt(member.nik_ciphertext, member.nik_key_id, purpose=NIK_PURPOSE)
                    member.nik_ciphertext, member.nik_key_id = keys.encrypt(nik, purpose=NIK_PURPOSE)
                    member.nik_digest = keys.digest(nik, purpose=NIK_PURPOSE)
                    if member.kk_ciphertext:
                        kk = keys.decrypt(member.kk_ciphertext, member.kk_key_id, purpose=KK_PURPOSE)
                        member.kk_ciphertext, member.kk_key_id = keys.encrypt(kk, purpose=KK_PURPOSE)
                Member.objects.bulk_update(
                    batch, ["nik_ciphertext", "nik_key_id", "nik_digest", "kk_ciphertext", "kk_key_id"]
                )
                last_pk = batch[-1].pk
                changed += len(batch)
        audit_record(
            actor=None,
            action="members.nik_keys.rotated",
            object_label=keys.current_key_id,
            changes={"rows": (None, changed), "rehash": (None, rehash)},
        )
        self.stdout.write(f"{changed} row(s) now under key {keys.current_key_id}")
