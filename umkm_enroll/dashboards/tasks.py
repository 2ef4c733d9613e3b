from celery import shared_task

from .services import tallies_compact


@shared_task(name="dashboards.compact")
def compact() -> bool:
    """Safe to run twice, or twice at once: a second compaction finds the lock taken and returns."""
    return tallies_compact()
