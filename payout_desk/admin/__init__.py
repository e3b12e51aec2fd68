"""``payout-desk-admin``: the database administrator's command for a team journal (wiring level; no Qt).

    payout-desk-admin --db CONNINFO migrate
    payout-desk-admin --db CONNINFO add-person LOGIN --role preparer|approver|viewer|admin|agent [--password-stdin]
    payout-desk-admin --db CONNINFO remove-person LOGIN
    payout-desk-admin --db CONNINFO people     (tab-separated: login, role, can log in)
    payout-desk-admin --db CONNINFO audit      (tab-separated: time, actor, action, detail JSON)
    payout-desk-admin --db CONNINFO set-provider URL [--force]   (the team's provider: the only one its agents send
        to; refused while payouts may still be paid at the current one, unless --force: audited, and they then
        need reconciliation)
    payout-desk-admin --db CONNINFO provider   (the team's provider base URL, or a line saying it is not set)
    payout-desk-admin --db CONNINFO reconcile LOCAL_ID (--found PAYMENT_ID | --not-found) --reason TEXT
        (a payout needing reconciliation: --not-found, an app admin's decision, audited, sends it again with the
        same idempotency key; --found records the provider's payment: the agent does not send it)
    payout-desk-admin --db CONNINFO set-rule --currency EUR|* --from AMOUNT --approvers N [--preparer LOGIN]
        (--approvers 0 removes an existing tier and says what applies from AMOUNT on; --preparer names one of
        the team's preparers; a warning when a tier needs more approvers than the team has who could approve)
    payout-desk-admin --db CONNINFO rules      (the approval rules in plain sentences; which currencies need none)
    payout-desk-admin --db CONNINFO set-expiry DAYS   (how long payouts wait for their approvals; default 7)
    payout-desk-admin --db CONNINFO set-retype-threshold --currency EUR AMOUNT|default

CONNINFO is a libpq URI or key=value string. Exit status: 0 done, 1 failure (a plain message on stderr),
2 usage.
"""

from payout_desk.admin.cli import main

__all__ = ["main"]
