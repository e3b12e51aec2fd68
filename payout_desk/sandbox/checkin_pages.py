"""HTML of the hosted checkin page: the details form, the status page, the not-found page.

Plain HTML and CSS with one small script (inline validation, no double submission); the
server stays the authority. Every value that came from a request is passed through
``html.escape``. Stable element ids for automation (the app's end-to-end tests):

- form ``checkinForm`` (POST, ``application/x-www-form-urlencoded``),
- inputs ``holderName`` and ``iban`` (``name`` equal to the id),
- buttons ``submitButton`` (``name="action" value="submit"``) and ``declineButton``
  (``name="action" value="decline"``); a POST without ``action`` counts as submit,
- inline errors ``holderNameError`` and ``ibanError``, summary ``errorSummary``,
- on the status page: ``paymentStatus`` (``data-status`` = the API status, ``data-reason``)
  and ``closeWindowMessage``.
"""

from __future__ import annotations

import json
import secrets
from html import escape

from payout_desk.sandbox.store import Payment
from payout_desk.sandbox.validation import IBAN_LENGTHS, format_iban

#: (IBAN, what happens) offered on the form; all have valid check digits.
TEST_IBANS: tuple[tuple[str, str], ...] = (
    ("DE89370400440532013000", "succeeds"),
    ("GB82WEST12345698765432", "succeeds"),
    ("NL91ABNA0417164300", "succeeds"),
    ("DE40370400440532010002", "fails: account_closed"),
    ("GB28WEST12345698760002", "fails: account_closed"),
)

REASON_TEXT = {
    "declined_by_recipient": "You declined this payout. No money will be sent.",
    "expired": "This link has expired: the details were not entered in time.",
    "account_closed": "The bank reports that this account is closed, so the payout failed.",
}

_CSS = """
:root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
body { margin: 0; background: #f3f4f6; color: #111827; line-height: 1.5; }
main { max-width: 34rem; margin: 2rem auto; padding: 1.5rem 2rem; background: #fff;
       border: 1px solid #d1d5db; border-radius: 8px; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
.badge { display: inline-block; margin: 0 0 1rem; padding: .1rem .6rem; border-radius: 999px;
         background: #fef3c7; color: #78350f; font-size: .85rem; font-weight: 600; }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0 0 1.5rem; }
dl.summary dt { color: #4b5563; } dl.summary dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
.field { margin-bottom: 1.25rem; }
label { display: block; font-weight: 600; margin-bottom: .25rem; }
.hint { margin: 0 0 .35rem; color: #4b5563; font-size: .9rem; }
input, button { font: inherit; }
input[type=text] { box-sizing: border-box; width: 100%; padding: .55rem .65rem; font-size: 1rem;
                   border: 1px solid #6b7280; border-radius: 6px; }
input[aria-invalid=true] { border: 2px solid #b91c1c; }
input:focus, button:focus { outline: 3px solid #2563eb; outline-offset: 2px; }
.error { margin: .35rem 0 0; color: #b91c1c; font-weight: 600; }
.summary-box { border: 2px solid #b91c1c; border-radius: 6px; padding: .75rem 1rem; margin-bottom: 1.25rem; }
.summary-box h2 { margin-top: 0; color: #b91c1c; }
.actions { display: flex; gap: .75rem; flex-wrap: wrap; }
button { font-size: 1rem; padding: .55rem 1.1rem; border-radius: 6px; cursor: pointer;
         border: 1px solid #1d4ed8; background: #1d4ed8; color: #fff; }
button.secondary { background: #fff; color: #991b1b; border-color: #991b1b; }
button.link { background: none; border: none; color: #1d4ed8; padding: 0 .25rem; text-decoration: underline; }
button:disabled { opacity: .6; cursor: default; }
ul.ibans { padding-left: 1.2rem; } code { font-size: .95rem; }
.status-ok { color: #166534; } .status-failed { color: #991b1b; } .status-pending { color: #92400e; }
"""

_SCRIPT = """
(function () {
  "use strict";
  var form = document.getElementById("checkinForm");
  if (!form) { return; }
  var LENGTHS = %(lengths)s;
  var holder = document.getElementById("holderName");
  var iban = document.getElementById("iban");
  var submitting = false;
  function mod97(s) {
    var r = 0;
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i), v = c >= 65 ? String(c - 55) : s.charAt(i);
      for (var j = 0; j < v.length; j++) { r = (r * 10 + (v.charCodeAt(j) - 48)) %% 97; }
    }
    return r;
  }
  function ibanMessage(value) {
    var v = value.replace(/\\s+/g, "").toUpperCase();
    if (!v) { return "Enter the IBAN."; }
    if (!/^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$/.test(v)) {
      return "An IBAN starts with a country code and two check digits, then 11 to 30 letters or digits.";
    }
    var want = LENGTHS[v.slice(0, 2)];
    if (want && v.length !== want) {
      return "An IBAN from " + v.slice(0, 2) + " has " + want + " characters; this one has " + v.length + ".";
    }
    if (mod97(v.slice(4) + v.slice(0, 4)) !== 1) {
      return "This IBAN's check digits do not match: check for a typing mistake.";
    }
    return "";
  }
  function show(input, message) {
    var error = document.getElementById(input.id + "Error");
    error.textContent = message;
    error.hidden = !message;
    if (message) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
  }
  iban.addEventListener("blur", function () { if (iban.value) { show(iban, ibanMessage(iban.value)); } });
  holder.addEventListener("blur", function () { if (holder.value.trim()) { show(holder, ""); } });
  Array.prototype.forEach.call(document.querySelectorAll("button[data-iban]"), function (button) {
    button.addEventListener("click", function () {
      iban.value = button.getAttribute("data-iban");
      show(iban, "");
      iban.focus();
    });
  });
  form.addEventListener("submit", function (event) {
    if (submitting) { event.preventDefault(); return; }
    var declining = event.submitter && event.submitter.value === "decline";
    if (!declining) {
      var nameMessage = holder.value.trim() ? "" : "Enter the account holder's name.";
      var ibanText = ibanMessage(iban.value);
      show(holder, nameMessage);
      show(iban, ibanText);
      if (nameMessage || ibanText) { event.preventDefault(); (nameMessage ? holder : iban).focus(); return; }
    }
    submitting = true;
    window.setTimeout(function () {
      document.getElementById("submitButton").disabled = true;
      document.getElementById("declineButton").disabled = true;
    }, 0);
  });
})();
"""


def new_nonce() -> str:
    """A fresh CSP nonce for one page."""
    return secrets.token_urlsafe(16)


def _noun(payment: Payment) -> str:
    return "payout" if payment.type == "payout" else "payment"


def _page(title: str, body: str, nonce: str, script: str = "") -> str:
    script_tag = f'<script nonce="{nonce}">{script}</script>' if script else ""
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)} · Payout sandbox</title>\n"
        f'<style nonce="{nonce}">{_CSS}</style>\n</head>\n<body>\n<main>\n'
        '<p class="badge">Sandbox: test data only, no real money moves</p>\n'
        f"{body}\n</main>\n{script_tag}\n</body>\n</html>\n"
    )


def _summary(payment: Payment) -> str:
    rows = [("Amount", f"{payment.amount} {payment.currency}")]
    if payment.description:
        rows.append(("Description", payment.description))
    if payment.customer and payment.customer.get("name"):
        rows.append(("For", payment.customer["name"]))
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    return f'<dl class="summary">{items}</dl>'


def _field(field_id: str, label: str, value: str, error: str | None, hint: str | None, attrs: str) -> str:
    described = " ".join(x for x in ((f"{field_id}Hint" if hint else ""), f"{field_id}Error") if x)
    invalid = ' aria-invalid="true"' if error else ""
    hint_html = f'<p class="hint" id="{field_id}Hint">{escape(hint)}</p>' if hint else ""
    hidden = "" if error else " hidden"
    return (
        f'<div class="field"><label for="{field_id}">{escape(label)}</label>{hint_html}'
        f'<input type="text" id="{field_id}" name="{field_id}" value="{escape(value)}"'
        f' aria-describedby="{described}" required{invalid} {attrs}>'
        f'<p class="error" id="{field_id}Error"{hidden}>{escape(error or "")}</p></div>'
    )


def form_page(
    payment: Payment, nonce: str, *, holder_name: str = "", iban: str = "", errors: dict[str, str] | None = None
) -> str:
    """The details form; with ``errors`` (field id → message) shown inline and in a summary."""
    errors = errors or {}
    noun = _noun(payment)
    heading = "Receive your payout" if noun == "payout" else "Complete your payment"
    summary = ""
    if errors:
        links = "".join(f'<li><a href="#{k}">{escape(v)}</a></li>' for k, v in errors.items())
        summary = (
            '<div class="summary-box" id="errorSummary" role="alert" aria-labelledby="errorSummaryTitle">'
            f'<h2 id="errorSummaryTitle">Please correct the following</h2><ul>{links}</ul></div>'
        )
    test_items = "".join(
        f"<li><code>{escape(format_iban(i))}</code>: {escape(outcome)} "
        f'<button type="button" class="link" data-iban="{escape(i)}" '
        f'aria-label="Use test IBAN {escape(format_iban(i))}">Use</button></li>'
        for i, outcome in TEST_IBANS
    )
    body = (
        f"<h1>{heading}</h1>{_summary(payment)}{summary}"
        f'<form id="checkinForm" method="post" action="/checkin/{escape(payment.id)}" novalidate>'
        + _field("holderName", "Account holder name", holder_name, errors.get("holderName"), None,
                 'autocomplete="name" maxlength="140" spellcheck="false"')
        + _field("iban", "IBAN", iban, errors.get("iban"),
                 "For example DE89 3704 0044 0532 0130 00. Spaces are fine.",
                 'autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="64"')
        + '<div class="actions">'
        '<button type="submit" id="submitButton" name="action" value="submit">Send details</button>'
        f'<button type="submit" id="declineButton" name="action" value="decline" class="secondary"'
        f' formnovalidate>Decline {noun}</button></div></form>'
        '<section aria-labelledby="testIbansTitle"><h2 id="testIbansTitle">Test IBANs</h2>'
        f'<p class="hint">Any valid IBAN succeeds unless it ends in 0002.</p><ul class="ibans">{test_items}</ul>'
        "</section>"
    )  # fmt: skip
    script = _SCRIPT % {"lengths": json.dumps(IBAN_LENGTHS, sort_keys=True)}
    return _page(heading, body, nonce, script)


def status_page(payment: Payment, nonce: str, *, notice: str | None = None) -> str:
    """What a submitted or final payment shows instead of the form; ends with "close this window"."""
    noun = _noun(payment)
    if payment.status == "succeeded":
        heading, css, text = f"The {noun} was sent", "status-ok", f"The {noun} succeeded."
    elif payment.status == "failed":
        reason = payment.failure_reason or "failed"
        heading, css = f"The {noun} failed", "status-failed"
        text = REASON_TEXT.get(reason, f"The {noun} failed ({reason}).")
    else:
        heading, css = "Details received", "status-pending"
        text = f"Your details were received. The {noun} is being processed."
    notice_html = f'<p id="notice" role="status">{escape(notice)}</p>' if notice else ""
    body = (
        f"<h1>{escape(heading)}</h1>{notice_html}{_summary(payment)}"
        f'<p id="paymentStatus" class="{css}" data-status="{escape(payment.status)}"'
        f' data-reason="{escape(payment.failure_reason or "")}">{escape(text)}</p>'
        '<p id="closeWindowMessage"><strong>You can close this window.</strong></p>'
    )
    return _page(heading, body, nonce)


def message_page(title: str, text: str, nonce: str) -> str:
    """A plain page with one message (unknown payment, refused request)."""
    return _page(title, f"<h1>{escape(title)}</h1><p>{escape(text)}</p>", nonce)
