"""`manage.py schedule_checks [--every N]`: enqueue the periodic work for the task worker — the
cases' checks (deadlines, follow-ups, calls) and the statistics refresh. Here, in the
composition root, because it starts the work of several apps."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand

from cases.tasks import run_periodic_checks
from stats.tasks import refresh_statistics


class Command(BaseCommand):
    help = ("Enqueue the periodic checks and the statistics refresh for the task worker: once (for a "
            "systemd timer or cron), or every N seconds (the demo). Both are idempotent, so "
            "overlapping runs are safe.")

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0,
                            help=f"repeat every N seconds (e.g. {settings.FENGQIAO_CHECK_SECONDS}); 0: once")

    def handle(self, *args, every=0, **options):
        while True:
            result = run_periodic_checks.enqueue()
            self.stdout.write(f"enqueued periodic checks ({result.id})")
            result = refresh_statistics.enqueue()
            self.stdout.write(f"enqueued statistics refresh ({result.id})")
            if not every:
                return
            time.sleep(every)
