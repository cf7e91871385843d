from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from . import views

urlpatterns = [
    path("", include("cases.urls")),
    path("grids/", include("grids.urls")),
    path("mediators/", include("mediators.urls")),
    path("stats/", include("stats.urls")),
    path("", include("incidents.urls")),
    path(
        "accounts/login/",
        login_not_required(auth_views.LoginView.as_view(redirect_authenticated_user=True)),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    # First sign-in of an account created without a password (the places import hands out
    # these links): Django's password-reset confirmation, reached only through such a link.
    path(
        "accounts/first-sign-in/<uidb64>/<token>/",
        login_not_required(auth_views.PasswordResetConfirmView.as_view()),
        name="password_reset_confirm",
    ),
    path(
        "accounts/first-sign-in/done/",
        login_not_required(auth_views.PasswordResetCompleteView.as_view()),
        name="password_reset_complete",
    ),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    # nginx answers a body over client_max_body_size itself; its `error_page 413` shows this.
    path("errors/too-large/", login_not_required(views.request_too_large), name="request_too_large"),
    path("admin/", admin.site.urls),
]

# The app's own error pages, in the user's language (Chinese by default), never Django's bare
# English ones; see config/views.py.
handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
