"""Refusals of a write, with a message for the user. Nothing was changed when one is raised."""

from django.utils import timezone
from django.utils.translation import gettext as _


class WorkflowError(Exception):
    """A write refused with a message for the user; nothing was changed."""


class StaleCase(WorkflowError):
    """Somebody else changed the case after the user's form was rendered."""

    def __init__(self, case, last_event):
        self.case = case
        self.last_event = last_event
        if last_event is not None:
            message = _(
                "This case was already changed by %(who)s at %(when)s. Check its current "
                "status; what you typed is kept."
            ) % {
                "who": last_event.actor.get_full_name() or last_event.actor.get_username(),
                "when": timezone.localtime(last_event.at).strftime("%Y-%m-%d %H:%M:%S"),
            }
        else:
            message = _("This case was changed in the meantime. Check it and submit again.")
        super().__init__(message)


class TransitionNotAvailable(WorkflowError):
    """The step is not among the user's capabilities on the case in its current state."""


class DuplicateIntake(WorkflowError):
    """The intake form was sent again (a retry, a double click): the case already exists."""

    def __init__(self, case):
        self.case = case
        super().__init__(_("This dispute was already logged as %(number)s; it was not logged twice.")
                         % {"number": case.number})
