"""Vocabularies of a dispute case. Stored values are stable English slugs; labels translate."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    NEIGHBOUR = "neighbour", _("Neighbours")
    FAMILY = "family", _("Family and marriage")
    PROPERTY_MGMT = "property_mgmt", _("Property management")
    RENTAL = "rental", _("Housing rental")
    LABOUR = "labour", _("Labour and wages")
    CONSUMER = "consumer", _("Consumer")
    DEBT = "debt", _("Debt")
    TRAFFIC = "traffic", _("Traffic accident")
    MEDICAL = "medical", _("Medical")
    LAND = "land", _("Land acquisition and demolition")
    RENOVATION = "renovation", _("Renovation and construction")
    OTHER = "other", _("Other")


class Channel(models.TextChoices):
    POLICE_WORK = "police_work", _("Police daily work")
    INCIDENT_110 = "incident_110", _("110 incident")
    GRID_VISIT = "grid_visit", _("Grid worker / community cadre home visit")
    ONLINE = "online", _("Online opinion monitoring")
    WALK_IN = "walk_in", _("Walk-in request for help")
    JOINT_MEETING = "joint_meeting", _("Joint meeting")
    UNIT_LEAD = "unit_lead", _("Lead from a partner unit")
    VOLUNTEER = "volunteer", _("Volunteer / civilian patrol lead")


class Risk(models.TextChoices):
    GENERAL = "general", _("General")
    SERIOUS = "serious", _("Serious")
    MAJOR = "major", _("Major")


class Tier(models.TextChoices):
    GRID = "grid", _("Grid")
    POLICE_ROOM = "police_room", _("Community police room")
    JOINT = "joint", _("Joint mediation")
    STREET = "street", _("Station and street backstop")


class State(models.TextChoices):
    REPORTED = "reported", _("Reported")
    TRIAGED = "triaged", _("Triaged")
    MEDIATING = "mediating", _("Mediating")
    ESCALATED = "escalated", _("Escalated")
    REFERRED = "referred", _("Referred")
    DISTRICT = "district", _("At the district mediation centre")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATES = (State.REPORTED, State.TRIAGED, State.MEDIATING, State.ESCALATED, State.REFERRED,
               State.DISTRICT)
# the station and street (or, above them, the district centre) have taken it up
TAKEN_UP_STATES = (State.ESCALATED, State.REFERRED, State.DISTRICT)
# The colour of each state's badge on every page (Bootstrap's text-bg-*); any other, grey.
STATE_BADGES = {State.REPORTED: "text-bg-warning", State.TRIAGED: "text-bg-info", State.MEDIATING: "text-bg-primary",
                State.ESCALATED: "text-bg-danger", State.REFERRED: "text-bg-dark", State.RESOLVED: "text-bg-success"}


class LedgerReason(models.TextChoices):
    """Why a case is on the ledger of key and difficult disputes (重点疑难矛盾纠纷台账)."""

    ESCALATED = "escalated", _("Escalated or referred")
    MAJOR = "major", _("Major risk")
    OVERDUE = "overdue", _("Overdue")


class PartyRole(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    RESPONDENT = "respondent", _("Respondent")
    OTHER = "other", _("Other party")


class TeamRole(models.TextChoices):
    CADRE = "cadre", _("Community cadre")
    POLICE = "police", _("Police officer")
    GRID_WORKER = "grid_worker", _("Grid worker")
    AUXILIARY = "auxiliary", _("Auxiliary police")
    STATION_LEADER = "station_leader", _("Police station leader")
    STREET_CADRE = "street_cadre", _("Street office cadre")
    JUDICIAL = "judicial", _("Judicial office")
    UNIT_STAFF = "unit_staff", _("Staff of another unit")
    VOLUNTEER = "volunteer", _("Volunteer")


class AttachmentKind(models.TextChoices):
    PHOTO = "photo", _("Photo")
    DOCUMENT = "document", _("Document")


class EventReason(models.TextChoices):
    """Why an event happened when a rule, not a person's words, says so: stored as a key and
    shown in the reader's language (never a note frozen in the writer's)."""

    CALL_LATE = "call_late", _("Not answered within the deadline: sent to the station leaders.")
    OVERDUE = "overdue", _("Automatic supervision: this case is overdue. Report the progress and a plan.")
    AGREEMENT_BROKEN = "agreement_broken", _("Follow-up visit: the agreement was not kept.")
    CASE_ENDED = "case_ended", _("The case ended before a leader decided on the referral.")


class EventKind(models.TextChoices):
    CREATED = "created", _("Case logged")
    TRANSITION = "transition", _("Status change")
    COMMENT = "comment", _("Comment")
    ATTACHMENT = "attachment", _("Attachment added")
    MEDIATOR_CHOSEN = "mediator_chosen", _("Mediator chosen")
    MEDIATOR_REPLACED = "mediator_replaced", _("Mediator replaced")
    SESSION = "session", _("Mediation session")
    AGREEMENT = "agreement", _("Mediation agreement signed")
    REFERRAL = "referral", _("Referral updated")
    SUPERVISION = "supervision", _("Supervision instruction")
    MEETING_DECISION = "meeting_decision", _("Meeting decision")
    FOLLOW_UP = "follow_up", _("Follow-up visit")
    CALL = "call", _("Two-way call")
    CALL_ANSWERED = "call_answered", _("Call answered")
    CALL_ESCALATED = "call_escalated", _("Unanswered call sent to the station")
    TASK_DONE = "task_done", _("Task done")
    CASE_EDITED = "case_edited", _("Case details corrected")
    PARTY_ADDED = "party_added", _("Party added")
    PARTY_CHANGED = "party_changed", _("Party details corrected")
    HANDED_OVER = "handed_over", _("Handed to another lead handler")
    GRID_MOVED = "grid_moved", _("Moved to another grid")
    TEAM_CHANGED = "team_changed", _("Joint team changed")
    CASES_LINKED = "cases_linked", _("Related case linked")
    CASES_UNLINKED = "cases_unlinked", _("Related case unlinked")
    MERGED_INTO = "merged_into", _("Merged into another case")
    MERGED_FROM = "merged_from", _("A duplicate case merged into this one")


class MeetingKind(models.TextChoices):
    JOINT = "joint", _("Joint meeting")                 # 联席会议: the street's difficult cases
    COORDINATION = "coordination", _("Coordination meeting")  # 协调会: one or a few cases


class ChoiceMethod(models.TextChoices):
    PARTIES_CHOSE = "parties", _("Chosen by the parties")
    ASSIGNED = "assigned", _("Assigned by the handler")


class SessionFormat(models.TextChoices):
    JOINT = "joint", _("Joint (face to face)")
    BACK_TO_BACK = "back_to_back", _("Back-to-back")


class Outcome(models.TextChoices):
    AGREED = "agreed", _("Agreement reached")
    PARTIAL = "partial", _("Partly agreed")
    CONTINUE = "continue", _("To be continued")
    FAILED = "failed", _("Mediation failed")


class DepartmentKind(models.TextChoices):
    HOUSING = "housing", _("Housing and construction")
    LABOUR = "labour", _("Human resources / labour inspection")
    MARKET = "market", _("Market regulation")
    JUSTICE = "justice", _("Judicial office")
    COURT = "court", _("Court mediation link")
    ARBITRATION = "arbitration", _("Arbitration commission")
    OTHER = "other", _("Other department")


class ReferralStatus(models.TextChoices):
    AWAITING = "awaiting", _("Awaiting a leader's approval")
    DECLINED = "declined", _("Not approved")
    SENT = "sent", _("Sent")
    RECEIVED = "received", _("Received")
    HANDLED = "handled", _("Handled")
    RETURNED = "returned", _("Returned")


class CallDirection(models.TextChoices):
    GRID_TO_POLICE = "grid_to_police", _("Grid calls, police answer")
    POLICE_TO_GRID = "police_to_grid", _("Police call, grid answers")


class TaskKind(models.TextChoices):
    SUPERVISION = "supervision", _("Supervision instruction")
    MEETING = "meeting", _("Joint meeting decision")


class Satisfaction(models.TextChoices):
    VERY = "very", _("Very satisfied")
    SATISFIED = "satisfied", _("Satisfied")
    NEUTRAL = "neutral", _("Neutral")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class NoticeKind(models.TextChoices):
    CALL = "call", _("A call to me or my grid")
    ASSIGNED = "assigned", _("A case assigned or handed to me")
    TASK = "task", _("A supervision instruction or meeting decision for me")
    REFERRAL = "referral", _("A referral to my department")
    DEADLINE_NEAR = "deadline_near", _("A deadline is near")
    DEADLINE_PASSED = "deadline_passed", _("A deadline has passed")
    FOLLOW_UP_DUE = "follow_up_due", _("A follow-up visit is due")
    LEDGER = "ledger", _("A case on my ledger")
    CALL_ESCALATED = "call_escalated", _("An unanswered call")
    MOVED_IN = "moved_in", _("A case moved to my grid")
    APPROVAL = "approval", _("A referral's approval")


class DueUnit(models.TextChoices):
    HOURS = "hours", _("hours")
    WORKING_DAYS = "working_days", _("working days")


class Warning(models.TextChoices):
    """The four-colour warning (四色预警), most urgent first."""

    RED = "red", _("Red")
    ORANGE = "orange", _("Orange")
    YELLOW = "yellow", _("Yellow")
    BLUE = "blue", _("Blue")
