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
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATES = (State.REPORTED, State.TRIAGED, State.MEDIATING, State.ESCALATED, State.REFERRED)


class PartyRole(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    RESPONDENT = "respondent", _("Respondent")
    OTHER = "other", _("Other party")


class TeamRole(models.TextChoices):
    CADRE = "cadre", _("Community cadre")
    POLICE = "police", _("Police officer")
    GRID_WORKER = "grid_worker", _("Grid worker")
    AUXILIARY = "auxiliary", _("Auxiliary police")
    VOLUNTEER = "volunteer", _("Volunteer")


class AttachmentKind(models.TextChoices):
    PHOTO = "photo", _("Photo")
    DOCUMENT = "document", _("Document")


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
    MEETING_DECISION = "meeting_decision", _("Joint meeting decision")
    FOLLOW_UP = "follow_up", _("Follow-up visit")
    CALL = "call", _("Two-way call")


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
