from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from config import demo as case_demo
from grids import demo
from incidents.demo import build_incidents
from stats.refresh import refresh


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
        second = demo.build_second_street()
        district = demo.build_district()["district"]
        cases = case_demo.build_cases(street=built["street"])
        past = (case_demo.build_history(street=built["street"])
                + case_demo.build_history(street=second, per_month=4, seed=2024))
        incidents = build_incidents(street=built["street"])
        refresh()  # the statistics pages have figures from the start; the worker keeps them fresh
        self.stdout.write(self.style.SUCCESS(
            f"Demo street {built['street'].name}: {len(built['grids'])} community grids, "
            f"{len(built['police_grids'])} police grids, {len(built['workers'])} community workers, "
            f"{cases} cases, {incidents} new 110 incidents; {past} past cases over the last year in "
            f"{district.name} (both streets), the statistics computed."
        ))
        self.stdout.write(f"Demo logins (password: {demo.DEMO_PASSWORD}):")
        for username, what in [
            ("worker1", "community worker, grid under police grid 1"),
            ("worker2", "community worker, grid under police grid 2"),
            ("officer1", "community police officer, police grid 1 (covers worker1's grid)"),
            ("officer2", "community police officer, police grid 2 (covers worker2's grid)"),
            ("stationlead", "station leader"),
            ("streetlead", "street leader"),
            ("districtlead", "district mediation centre (both demo streets)"),
            ("bureaulead", "district police bureau leader"),
            ("streetlead_fh", "leader of the second street, 凤凰街道"),
            ("mediator1", "mediator"),
            ("admin", "administrator"),
        ]:
            self.stdout.write(f"  {username:<12} {what}")
