"""Models of the cases app, by topic: the case itself (case.py), closing the loop — referrals,
calls, supervision and meeting tasks, joint meetings, follow-up visits (loop.py) — and the
record of exports (audit.py) — and time: calendar corrections, warning thresholds and
notifications (time.py)."""

from .audit import ExportRecord
from .case import (
    Attachment,
    Case,
    CaseEvent,
    CaseLink,
    CaseSequence,
    CaseTeamMember,
    CaseUserObjectPermission,
    DueRule,
    Party,
    PersonalDataDisclosure,
    attachment_path,
)
from .loop import Call, Department, FollowUp, Meeting, MeetingItem, Referral, Task
from .time import CheckMark, LocalDay, NoticePreference, Notification, WarningSettings

__all__ = [
    "Attachment", "Case", "CaseEvent", "CaseLink", "CaseSequence", "CheckMark", "CaseTeamMember",
    "CaseUserObjectPermission", "DueRule", "ExportRecord", "Party", "PersonalDataDisclosure",
    "attachment_path", "Call", "Department", "FollowUp", "Meeting", "MeetingItem", "Referral", "Task",
    "LocalDay", "NoticePreference", "Notification", "WarningSettings",
]
