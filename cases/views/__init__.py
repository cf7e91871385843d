"""Views of the cases app, one module per topic: case pages (case.py), the ledger and the
leaders' dashboard (ledger.py), the closing loop on a case and two-way calls (loop.py),
joint meetings (meetings.py), the printed case file (paperwork.py)."""

from .case import get_case_for, id_from

__all__ = ["get_case_for", "id_from"]
