"""E-mail for the notices whose recipients chose it (per kind, NoticePreference). Runs as a
background task after the notice's transaction commits; each notice is e-mailed at most once
(claimed by an UPDATE before sending), so two workers never send it twice."""

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Exists, OuterRef
from django.tasks import task
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .choices import NoticeKind
from .models import NoticePreference, Notification


def pending_emails():
    """Unread notices not e-mailed yet, of a kind their recipient chose e-mail for, created
    since that choice (choosing e-mail later does not mail the history)."""
    chosen = NoticePreference.objects.filter(email=True, user_id=OuterRef("recipient_id"), kind=OuterRef("kind"),
                                             since__lte=OuterRef("created_at"))
    return list(Notification.objects.filter(Exists(chosen), emailed_at__isnull=True, read_at__isnull=True)
                .exclude(recipient__email="").select_related("recipient", "case"))


@task
def send_notice_emails() -> int:
    """Send the e-mails that are due; returns how many were sent."""
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for notice in pending_emails():
            claimed = Notification.objects.filter(pk=notice.pk, emailed_at__isnull=True).update(
                emailed_at=timezone.now())
            if not claimed:
                continue  # another worker took it
            subject = str(NoticeKind(notice.kind).label)
            if notice.case_id:
                subject = f"{subject}：{notice.case.number}"
            body = "\n".join(filter(None, [subject, notice.text, _("Open the app to see it.")]))
            send_mail(f"[{_('Fengqiao')}] {subject}", body, None, [notice.recipient.email])
            sent += 1
    return sent
