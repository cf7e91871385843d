"""Writes on an import batch that hand work to the background worker: the upload (checked by the
worker) and the confirmation (imported by the worker). The work itself is incidents/importing.py;
incidents/tasks.py runs it. This module sits above both, so neither imports the other's caller."""

from pathlib import Path

from django.db import transaction

from . import importing, tasks
from .models import ImportBatch, ImportStatus


def start_batch(*, upload, actor) -> ImportBatch:
    """Store the upload and have the worker check it once the upload is committed."""
    with transaction.atomic():
        batch = ImportBatch.objects.create(file=upload, original_name=Path(upload.name).name[:255],
                                           uploaded_by=actor)
        transaction.on_commit(lambda: tasks.check_import.enqueue(batch.pk))
    return batch


def confirm_batch(*, batch, actor) -> bool:
    """Have the worker import a checked batch. Idempotent: True only for the confirmation that
    moved it from checked to importing; a second confirmation changes nothing."""
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update(of=("self",)).get(pk=batch.pk)
        if locked.status != ImportStatus.CHECKED or not importing.may_see_preview(actor, locked):
            return False
        locked.status = ImportStatus.IMPORTING
        locked.processed_rows = 0
        locked.save(update_fields=["status", "processed_rows"])
        transaction.on_commit(lambda: tasks.run_import.enqueue(locked.pk))
    return True
