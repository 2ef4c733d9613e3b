"""Compile the project's .po files to .mo with Babel, so the build needs no GNU gettext binaries."""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile locale/*/LC_MESSAGES/*.po into .mo files (only those that changed)."

    def handle(self, *args, **options) -> None:
        compiled = 0
        for folder in settings.LOCALE_PATHS:
            for po_path in Path(folder).glob("*/LC_MESSAGES/*.po"):
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                with po_path.open("rb") as po_file:
                    catalog = read_po(po_file, locale=po_path.parent.parent.name)
                with mo_path.open("wb") as mo_file:
                    write_mo(mo_file, catalog, use_fuzzy=False)
                compiled += 1
        if compiled:
            self.stdout.write(f"compiled {compiled} message file(s)")
