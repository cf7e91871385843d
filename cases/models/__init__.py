"""Models of the cases app, by topic: the case itself (case.py) and closing the loop —
referrals, calls, supervision and meeting tasks, joint meetings, follow-up visits (loop.py)."""

from .case import (
    TRANSITIONS,
    Attachment,
    Case,
    CaseEvent,
    CaseSequence,
    CaseTeamMember,
    CaseUserObjectPermission,
    DueRule,
    Party,
    PersonalDataDisclosure,
    attachment_path,
)
from .loop import Call, Department, FollowUp, Meeting, MeetingItem, Referral, Task

__all__ = [
    "TRANSITIONS", "Attachment", "Case", "CaseEvent", "CaseSequence", "CaseTeamMember",
    "CaseUserObjectPermission", "DueRule", "Party", "PersonalDataDisclosure", "attachment_path",
    "Call", "Department", "FollowUp", "Meeting", "MeetingItem", "Referral", "Task",
]
