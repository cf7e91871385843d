"""`manage.py import_incidents FILE [--dry-run]` and `--template PATH`: the dispatch system's
export imported as an administrator (every police grid), all or nothing, with a progress bar."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from grids.models import PoliceGrid
from incidents import importing


class Command(BaseCommand):
    help = ("Import 110 incidents from the dispatch system's export (.xlsx or .csv). Every row is "
            "checked first; a file with any bad row imports nothing and each bad row is listed. "
            "Incidents already imported (by incident number) are counted, never duplicated.")

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="the export, .xlsx or .csv")
        parser.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
        parser.add_argument("--template", metavar="PATH", help="write an empty template workbook to PATH")

    def handle(self, *args, file=None, dry_run=False, template=None, **options):
        if template:
            importing.write_template(template)
            self.stdout.write(_("Template written to %(path)s.") % {"path": template})
            if not file:
                return
        if not file:
            raise CommandError(_("Name the file to import, or --template PATH."))
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("There is no file %(path)s.") % {"path": file})
        bars = {}
        printed = 0  # bad rows printed as they were found (counted, not kept: there may be many)

        def progress(phase, done, total):
            bar = bars.get(phase)
            if bar is None:
                desc = _("Checking") if phase == importing.CHECK else _("Importing")
                bar = bars[phase] = tqdm(total=total, desc=desc, unit=_("rows"), file=self.stderr._out,
                                         dynamic_ncols=True)
            if total and bar.total != total:
                bar.total = total
            bar.update(done - bar.n)

        def on_error(error):
            nonlocal printed
            printed += 1
            line = _("Line %(line)s") % {"line": error["line"]} if error["line"] else _("The file")
            number = f" {error['number']}" if error["number"] else ""
            tqdm.write(f"{line}{number}: {importing.describe(error['reasons'])}", file=self.stderr._out)

        try:
            report = importing.import_file(path, police_grids=PoliceGrid.objects.all(), dry_run=dry_run,
                                           progress=progress, on_error=on_error)
        finally:
            for bar in bars.values():
                bar.close()
        if not report.ok:
            for error in report.errors if not printed else ():  # e.g. the file changed during the import
                on_error(error)
            raise CommandError(_("%(count)s bad rows: nothing was imported.") % {"count": report.bad_rows}
                               if report.bad_rows else _("Nothing was imported."))
        if dry_run:
            self.stdout.write(_("Dry run: %(new)s new incidents would be imported, %(known)s are already "
                                "imported. Nothing was written.") % {"new": report.new, "known": report.known})
        else:
            self.stdout.write(_("%(new)s new incidents imported, %(known)s already imported.")
                              % {"new": report.new, "known": report.known})
