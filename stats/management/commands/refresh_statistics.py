"""`manage.py refresh_statistics [--full]`: bring the statistics tables up to date now, with a
progress bar (the task worker does the same every few minutes)."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from tqdm import tqdm

from stats import refresh


class Command(BaseCommand):
    help = ("Recompute the statistics: the cases changed since the last run, or with --full every "
            "case (batch by batch; the figures stay readable meanwhile).")

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="rebuild from every case")

    def handle(self, *args, full=False, **options):
        bars = {}

        def progress(phase, done, total):
            bar = bars.get(phase)
            if bar is None:
                desc = _("Cases") if phase == refresh.FACTS else _("Days")
                bar = bars[phase] = tqdm(total=total, desc=desc, file=self.stderr._out, dynamic_ncols=True)
            if total and bar.total != total:
                bar.total = total
            bar.update(done - bar.n)

        try:
            result = refresh.refresh(full=full, progress=progress)
        finally:
            for bar in bars.values():
                bar.close()
        if result["skipped"]:
            self.stdout.write(_("Another refresh of the statistics is running; nothing done."))
            return
        self.stdout.write(_("Statistics refreshed: %(cases)s cases recomputed, %(days)s days rebuilt.")
                          % {"cases": result["cases"], "days": result["days"]})
