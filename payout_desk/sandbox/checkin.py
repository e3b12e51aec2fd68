"""The hosted checkin page's routes: ``GET`` and ``POST /checkin/{id}`` (no auth: the id is the link).

GET shows the form while the checkin is open, otherwise the payment's status (never the form
again). POST takes ``holderName``, ``iban`` and ``action`` (``submit`` or ``decline``) as an
urlencoded form: bad details re-render the form with inline errors (422); a good submission or
a decline answers 303 to ``redirectUrl`` with ``paymentId`` appended, or without one to the
status page, which says the window can be closed. A second submission changes nothing (409).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, quote, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from payout_desk.sandbox import checkin_pages as pages
from payout_desk.sandbox.engine import SandboxEngine
from payout_desk.sandbox.store import Payment
from payout_desk.sandbox.validation import iban_error, normalize_iban

MAX_FORM_BYTES = 64 * 1024
MAX_HOLDER_NAME = 140
_SAFE_HOST = re.compile(r"^[A-Za-z0-9.\-\[\]:]+$")
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"


def _engine(request: Request) -> SandboxEngine:
    engine: SandboxEngine = request.app.state.engine
    return engine


def _headers(nonce: str, redirect_url: str | None = None) -> dict[str, str]:
    form_action = "'self'"
    if redirect_url is not None:
        parts = urlsplit(redirect_url)
        if _SAFE_HOST.fullmatch(parts.netloc):
            form_action += f" {parts.scheme}://{parts.netloc}"
        else:
            form_action = ""
    csp = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
        "img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'"
        + (f"; form-action {form_action}" if form_action else "")
    )
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }


def _html(html: str, nonce: str, status: int = 200, redirect_url: str | None = None) -> HTMLResponse:
    return HTMLResponse(html, status_code=status, headers=_headers(nonce, redirect_url))


def _not_found(payment_id: str) -> HTMLResponse:
    nonce = pages.new_nonce()
    return _html(pages.message_page("No such payment", f"There is no payment {payment_id}.", nonce), nonce, 404)


def redirect_target(payment: Payment, fallback: str) -> str:
    """``redirectUrl`` with ``paymentId`` appended (its own query kept), else ``fallback``."""
    if payment.redirect_url is None:
        return fallback
    parts = urlsplit(payment.redirect_url)
    extra = urlencode({"paymentId": payment.id})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return quote(urlunsplit(parts._replace(query=query)), safe=_URL_SAFE)


def _same_origin(request: Request) -> bool:
    """False for a form post another site made (CSRF): by Sec-Fetch-Site, else by Origin.

    Chromium sends ``Origin: null`` in some cases (e.g. under a no-referrer policy), so ``null``
    alone is not refused; a browser that sends it also sends Sec-Fetch-Site.
    """
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    return origin.lower() == f"{request.url.scheme}://{request.headers.get('host', '')}".lower()


async def show_checkin(request: Request) -> Response:
    """The form while the checkin is open; the status otherwise."""
    payment_id = request.path_params["payment_id"]
    payment = _engine(request).get_any(payment_id)
    if payment is None:
        return _not_found(payment_id)
    nonce = pages.new_nonce()
    if payment.status == "pending" and payment.checkin == "open":
        return _html(pages.form_page(payment, nonce), nonce, redirect_url=payment.redirect_url)
    return _html(pages.status_page(payment, nonce), nonce)


async def submit_checkin(request: Request) -> Response:
    """Take the recipient's details (or their decline) once."""
    payment_id = request.path_params["payment_id"]
    nonce = pages.new_nonce()
    if not _same_origin(request):
        page = pages.message_page("Request refused", "This form can only be sent from its own page.", nonce)
        return _html(page, nonce, 403)
    raw = await request.body()
    if len(raw) > MAX_FORM_BYTES:
        return _html(pages.message_page("Request too large", "The form data is too large.", nonce), nonce, 413)
    engine = _engine(request)
    payment = engine.get_any(payment_id)
    if payment is None:
        return _not_found(payment_id)
    if payment.status != "pending" or payment.checkin != "open":
        notice = "These details were already sent; nothing was changed."
        return _html(pages.status_page(payment, nonce, notice=notice), nonce, 409)
    form = parse_qs(raw.decode("utf-8", errors="replace"), keep_blank_values=True)
    action = (form.get("action") or ["submit"])[-1]
    status_url = f"/checkin/{payment.id}"
    if action == "decline":
        engine.decline_checkin(payment)
        return Response(status_code=303, headers={"Location": redirect_target(payment, status_url)})
    holder_name = " ".join((form.get("holderName") or [""])[-1].split())
    iban_raw = (form.get("iban") or [""])[-1]
    errors: dict[str, str] = {}
    if not holder_name:
        errors["holderName"] = "Enter the account holder's name."
    elif not holder_name.isprintable():
        errors["holderName"] = "The name contains characters that cannot be used."
    elif len(holder_name) > MAX_HOLDER_NAME:
        errors["holderName"] = f"The name can have at most {MAX_HOLDER_NAME} characters."
    problem = iban_error(iban_raw)
    if problem is not None:
        errors["iban"] = problem
    if errors:
        page = pages.form_page(payment, nonce, holder_name=holder_name, iban=iban_raw, errors=errors)
        return _html(page, nonce, 422, redirect_url=payment.redirect_url)
    engine.submit_checkin(payment, holder_name, normalize_iban(iban_raw))
    return Response(status_code=303, headers={"Location": redirect_target(payment, status_url)})


routes = [
    Route("/checkin/{payment_id}", show_checkin, methods=["GET"]),
    Route("/checkin/{payment_id}", submit_checkin, methods=["POST"]),
]
