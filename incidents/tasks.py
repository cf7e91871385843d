"""Background tasks of the incident import (Django's task framework, run by `manage.py
db_worker`). Thin: each calls incidents/importing.py, where the work and its idempotency live."""

from django.tasks import task

from . import importing


@task
def check_import(batch_id: int) -> str:
    """Check an uploaded file and fill the batch's preview or bad rows (safe to run twice)."""
    return importing.check_batch(batch_id)


@task
def run_import(batch_id: int) -> str:
    """Import a confirmed batch (safe to run twice: it imports once)."""
    return importing.import_batch(batch_id)
