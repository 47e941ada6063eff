from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.hashers import check_password
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kalrav import proxies
from kalrav.accounts import ratelimit, sessions, twofactor
from kalrav.accounts.forms import CodeForm, DisableTwoFactorForm, ProfileForm, SignInForm
from kalrav.accounts.language import activate_for_response, offer_browser_language
from kalrav.accounts.models import User

PENDING_KEY = "kalrav_signin_pending"
PENDING_SECONDS = 300
SETUP_KEY = "kalrav_totp_setup"


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return target
    return "/"


def _finish_signin(
    request: HttpRequest, user: User, *, remember: bool, two_factor: bool = False
) -> HttpResponse:
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    sessions.start(request, remember=remember)
    if two_factor:
        sessions.mark_two_factor(request)
    ratelimit.reset(user.email)
    offer_browser_language(request, user.language)
    response = redirect(_safe_next(request))
    return activate_for_response(response, user.language)


def signin(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request.POST or None)
    error = ""
    status = 200
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].lower()
        address = proxies.client_address(request)
        if ratelimit.is_locked(email, address):
            error = _("Too many failed sign-ins. Wait 15 minutes, or reset your password.")
            status = 429
        else:
            user = User.objects.filter(email__iexact=email, is_active=True).first()
            if user is not None and user.check_password(form.cleaned_data["password"]):
                if user.has_two_factor:
                    request.session[PENDING_KEY] = {
                        "user": user.pk,
                        "at": timezone.now().timestamp(),
                        "remember": form.cleaned_data.get("remember", False),
                    }
                    verify_url = "/accounts/signin/verify/"
                    nxt = _safe_next(request)
                    return redirect(f"{verify_url}?next={nxt}" if nxt != "/" else verify_url)
                return _finish_signin(
                    request, user, remember=form.cleaned_data.get("remember", False)
                )
            if user is None:
                # Spend the same time as a real check so response time does not reveal accounts.
                check_password(form.cleaned_data["password"], "pbkdf2_sha256$1000000$x$x")
            ratelimit.record_failure(email, address)
            error = _("The email or password is not right.")
            status = 400
    return render(
        request,
        "accounts/signin.html",
        {"form": form, "error": error, "next": _safe_next(request)},
        status=status,
    )


def signin_verify(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING_KEY)
    if not pending or timezone.now().timestamp() - pending["at"] > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        messages.error(request, _("Your sign-in expired. Sign in again."))
        return redirect("accounts:signin")
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    if user is None:
        return redirect("accounts:signin")
    form = CodeForm(request.POST or None)
    error = ""
    status = 200
    if request.method == "POST" and form.is_valid():
        address = proxies.client_address(request)
        if ratelimit.is_locked(user.email, address):
            error = _("Too many failed sign-ins. Wait 15 minutes, or reset your password.")
            status = 429
        elif twofactor.verify_signin(user, form.cleaned_data["code"]):
            request.session.pop(PENDING_KEY, None)
            return _finish_signin(
                request, user, remember=bool(pending.get("remember")), two_factor=True
            )
        else:
            ratelimit.record_failure(user.email, address)
            error = _(
                "That code is not right or was already used. Enter the current code from your authenticator app."
            )
            status = 400
    return render(
        request,
        "accounts/verify.html",
        {"form": form, "error": error, "next": _safe_next(request)},
        status=status,
    )


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, _("You are signed out."))
    return redirect("accounts:signin")


@login_required
def account_settings(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = ProfileForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile is saved."))
        return activate_for_response(redirect("accounts:settings"), user.language)
    return render(request, "accounts/settings.html", {"form": form})


@login_required
def twofactor_setup(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if user.has_two_factor:
        return redirect("accounts:settings")
    secret = request.session.get(SETUP_KEY) or twofactor.new_secret()
    request.session[SETUP_KEY] = secret
    form = CodeForm(request.POST or None)
    error = ""
    status = 200
    if request.method == "POST" and form.is_valid():
        if twofactor.confirm(user, secret, form.cleaned_data["code"]):
            request.session.pop(SETUP_KEY, None)
            sessions.mark_two_factor(request)  # this session just gave a code
            messages.success(
                request,
                _("Two-factor sign-in is on. You will be asked for a code at every sign-in."),
            )
            return redirect("accounts:settings")
        error = _(
            "That code is not right. Check the time on your phone and enter the current code."
        )
        status = 400
    uri = twofactor.provisioning_uri(user, secret)
    context = {"form": form, "error": error, "secret": secret, "qr": twofactor.qr_svg(uri)}
    return render(request, "accounts/twofactor_setup.html", context, status=status)


@login_required
def twofactor_disable(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = DisableTwoFactorForm(request.POST or None)
    error = ""
    status = 200
    if request.method == "POST" and form.is_valid():
        if user.check_password(form.cleaned_data["password"]) and twofactor.verify_signin(
            user, form.cleaned_data["code"]
        ):
            twofactor.disable(user)
            messages.success(request, _("Two-factor sign-in is off."))
            return redirect("accounts:settings")
        error = _("The password or the code is not right. Nothing was changed.")
        status = 400
    return render(
        request, "accounts/twofactor_disable.html", {"form": form, "error": error}, status=status
    )
