from django.urls import path

from .views import case, ledger, loop, meetings

app_name = "cases"
urlpatterns = [
    path("", case.workbench, name="workbench"),
    path("cases/", case.case_list, name="list"),
    path("cases/new/", case.case_create, name="create"),
    path("cases/<int:pk>/", case.case_detail, name="detail"),
    path("cases/<int:pk>/act/<slug:action>/", case.case_transition, name="transition"),
    path("cases/<int:pk>/comment/", case.case_comment, name="comment"),
    path("cases/<int:pk>/attachments/", case.case_attach, name="attach"),
    path("cases/<int:pk>/attachments/<int:attachment_pk>/", case.attachment_download,
         name="attachment"),
    path("cases/<int:pk>/parties/<int:party_pk>/reveal/", case.party_reveal, name="reveal"),
    path("cases/<int:pk>/referrals/<int:referral_pk>/receive/", loop.referral_receive,
         name="referral_receive"),
    path("cases/<int:pk>/referrals/<int:referral_pk>/close/", loop.referral_close,
         name="referral_close"),
    path("cases/<int:pk>/supervise/", loop.supervise, name="supervise"),
    path("cases/<int:pk>/tasks/<int:task_pk>/done/", loop.task_done, name="task_done"),
    path("cases/<int:pk>/follow-ups/<int:follow_up_pk>/", loop.follow_up, name="follow_up"),
    path("calls/", loop.calls, name="calls"),
    path("calls/new/", loop.call_create, name="call_create"),
    path("calls/<int:call_pk>/answer/", loop.call_answer, name="call_answer"),
    path("ledger/", ledger.ledger, name="ledger"),
    path("ledger/export.xlsx", ledger.ledger_export, name="ledger_export"),
    path("dashboard/", ledger.dashboard, name="dashboard"),
    path("meetings/", meetings.meeting_list, name="meetings"),
    path("meetings/new/", meetings.meeting_create, name="meeting_create"),
    path("meetings/<int:pk>/", meetings.meeting_detail, name="meeting"),
    path("meetings/<int:pk>/items/<int:item_pk>/", meetings.meeting_decide, name="meeting_decide"),
    path("meetings/<int:pk>/minutes/", meetings.meeting_minutes, name="meeting_minutes"),
    path("meetings/<int:pk>/print/", meetings.meeting_print, name="meeting_print"),
]
