from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from config import demo as case_demo
from grids import demo
from incidents.demo import build_incidents


class Command(BaseCommand):
    help = "Build the demo street (idempotent). Refuses to run with DEBUG=0 unless --force."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="run even when DEBUG is off (production)"
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off: this looks like production. seed_demo adds demo people with a "
                "known password; pass --force if you really mean it."
            )
        translation.activate(settings.LANGUAGE_CODE)
        built = demo.build_street()
        cases = case_demo.build_cases(street=built["street"])
        incidents = build_incidents(street=built["street"])
        self.stdout.write(self.style.SUCCESS(
            f"Demo street {built['street'].name}: {len(built['grids'])} community grids, "
            f"{len(built['police_grids'])} police grids, {len(built['workers'])} community workers, "
            f"{cases} cases, {incidents} new 110 incidents."
        ))
        self.stdout.write(f"Demo logins (password: {demo.DEMO_PASSWORD}):")
        for username, what in [
            ("worker1", "community worker, grid under police grid 1"),
            ("worker2", "community worker, grid under police grid 2"),
            ("officer1", "community police officer, police grid 1 (covers worker1's grid)"),
            ("officer2", "community police officer, police grid 2 (covers worker2's grid)"),
            ("stationlead", "station leader"),
            ("streetlead", "street leader"),
            ("mediator1", "mediator"),
            ("admin", "administrator"),
        ]:
            self.stdout.write(f"  {username:<12} {what}")
