import time

from django.conf import settings
from django.core.management.base import BaseCommand

from cases.tasks import run_periodic_checks


class Command(BaseCommand):
    help = ("Enqueue the periodic checks for the task worker: once (for a systemd timer or cron), "
            "or every N seconds (the demo). The checks are idempotent, so overlapping runs are safe.")

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0,
                            help=f"repeat every N seconds (e.g. {settings.FENGQIAO_CHECK_SECONDS}); 0: once")

    def handle(self, *args, every=0, **options):
        while True:
            result = run_periodic_checks.enqueue()
            self.stdout.write(f"enqueued periodic checks ({result.id})")
            if not every:
                return
            time.sleep(every)
