"""E-mail for the notices whose recipients chose it (per kind, NoticePreference). Runs as a
background task after the notice's transaction commits; each notice is e-mailed at most once
(claimed by an UPDATE before sending), so two workers never send it twice."""

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .choices import NoticeKind
from .models import NoticePreference, Notification


def pending_emails():
    wanted = NoticePreference.objects.filter(email=True).values_list("user_id", "kind")
    pairs = set(wanted)
    if not pairs:
        return []
    candidates = (Notification.objects.filter(emailed_at__isnull=True, recipient_id__in={u for u, _k in pairs})
                  .exclude(recipient__email="").select_related("recipient", "case"))
    return [n for n in candidates if (n.recipient_id, n.kind) in pairs]


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
