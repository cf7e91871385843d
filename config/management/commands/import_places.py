"""`manage.py import_places FILE [--dry-run]`: load a street or district from one workbook
(config/places_import.py); `--template PATH` writes the blank workbook. Prints what was (or would
be) created, updated and left unchanged, or every bad row; exits non-zero when any row is bad."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from config.places_import import import_places, write_template


class Command(BaseCommand):
    help = ("Import streets, communities, grids, police stations and grids, people with their places, "
            "departments and mediators from one .xlsx workbook. All or nothing.")

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="the .xlsx workbook to import")
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
        parser.add_argument("--template", metavar="PATH", help="write the blank template workbook to PATH")

    def handle(self, *args, file=None, dry_run=False, template=None, **options):
        translation.activate(settings.LANGUAGE_CODE)
        if template:
            write_template(template)
            self.stdout.write(_("Template written to %(path)s.") % {"path": template})
            if not file:
                return
        if not file:
            raise CommandError(_("Name the workbook to import, or give --template PATH."))
        outcome = import_places(file, dry_run=dry_run)
        if not outcome.ok:
            for error in outcome.errors:
                self.stderr.write(str(error))
            raise CommandError(_("Nothing was imported: %(count)s bad rows.") % {"count": len(outcome.errors)})
        for label, created, updated, unchanged in outcome.summary():
            self.stdout.write(_("%(kind)s: %(created)s created, %(updated)s updated, %(unchanged)s unchanged")
                              % {"kind": label, "created": created, "updated": updated, "unchanged": unchanged})
        if dry_run:
            self.stdout.write(_("Dry run: nothing was written."))
        elif outcome.awaiting_first_sign_in:
            self.stdout.write(_("%(count)s accounts have no password yet: hand out their first-sign-in links "
                                "from the import page in the admin, or set passwords there.")
                              % {"count": len(outcome.awaiting_first_sign_in)})
