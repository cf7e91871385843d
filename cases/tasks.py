"""Background tasks (Django's task framework, run by `manage.py db_worker`). Thin: each calls
the module that holds the work."""

from django.tasks import task

from . import checks


@task
def run_periodic_checks() -> dict:
    """Deadlines, follow-ups, unanswered calls, overdue cases (idempotent: safe to run twice)."""
    return checks.run()
