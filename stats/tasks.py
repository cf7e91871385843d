"""Background tasks of the statistics (run by `manage.py db_worker`; enqueued with the periodic
checks by `manage.py schedule_checks`)."""

from django.tasks import task

from . import refresh


@task
def refresh_statistics(full: bool = False) -> dict:
    """Bring the statistics tables up to date (idempotent; overlapping runs skip)."""
    result = refresh.refresh(full=full)
    return {"full": result["full"], "cases": result["cases"], "days": result["days"],
            "skipped": result["skipped"]}
