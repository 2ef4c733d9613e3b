from django.core.management.base import BaseCommand

from umkm_enroll.dashboards.services import tallies_compact, tallies_rebuild


class Command(BaseCommand):
    help = "Count the dashboard tallies afresh from people, enrollments, cards and bills."

    def add_arguments(self, parser):
        parser.add_argument("--compact-only", action="store_true", help="only fold the delta rows")

    def handle(self, *args, **options):
        if not options["compact_only"]:
            tallies_rebuild()
        tallies_compact()
        self.stdout.write("dashboard tallies up to date")
