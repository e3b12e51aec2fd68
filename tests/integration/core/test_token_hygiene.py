"""After a full run — settings, keychain, submits through every fault, polling, refresh, a
connection test, an export, errors — the token appears in no file and no log line.

The log file here has NO redaction filter (``logging_setup`` adds one in the app as a second line
of defence): this test proves the core never hands the token to a logger in the first place.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from payout_desk.domain.status import OUTCOME_UNKNOWN, PENDING, REJECTED, SUCCEEDED
from payout_desk.journal import HistoryQuery
from payout_desk.provider.errors import NotFoundError, ProviderError
from payout_desk.provider.models import ConnectionStatus
from payout_desk.services.connection import run_connection_test
from payout_desk.services.secrets import TokenStore
from payout_desk.services.settings import AppSettings, Profile, save_settings
from tests.fixtures.keyring_memory import MemoryKeyring
from tests.integration.core.conftest import Rig, payout_request

pytestmark = pytest.mark.timeout(60)


async def test_no_token_anywhere_after_a_full_run(rig: Rig, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    log_file = tmp_path / "logs" / "run.log"
    log_file.parent.mkdir()
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    secrets: list[str] = [rig.token]
    texts: list[str] = []
    try:
        settings_path = tmp_path / "config" / "settings.json"
        settings = AppSettings(profiles=[Profile("Sandbox", "sandbox", rig.server.base_url)], active_profile="Sandbox")
        save_settings(settings, settings_path)
        store = TokenStore(MemoryKeyring())
        store.set("Sandbox", rig.token)
        token = store.get(settings.active_profile)
        assert token == rig.token
        texts.append(repr(store) + store.backend_description + repr(settings) + repr(settings.profile()))

        client = rig.client(token)
        texts.append(repr(client))
        desk, changes = rig.desk(client)
        texts.append(repr(desk))
        await desk.start()
        for fault, extra in [("drop_after_commit", {}), ("status", {"status": 503}), ("malformed_json", {}),
                             ("rate_limit", {"retryAfter": 1}), ("delay", {"seconds": 0.1})]:  # fmt: skip
            await rig.control.add_fault(method="POST", path="/api/payments", fault=fault, **extra)
            record = await desk.submit(payout_request(description=f"fault {fault}"))
            assert record.status == PENDING, (fault, record.last_error)
        await rig.control.add_fault(method="POST", path="/api/payments", fault="drop_after_commit", times=5)
        unknown = await desk.submit(payout_request(description="outcome unknown"))
        assert unknown.status == OUTCOME_UNKNOWN
        await changes.wait_for(lambda c: c.record.local_id == unknown.local_id and c.event == "created")
        await rig.control.add_fault(method="GET", path="/api/payments/*", fault="malformed_json", times=2)
        await rig.control.add_fault(method="GET", path="/api/payments/*", fault="status", status=500, times=2)
        for payment in await rig.payments():
            await rig.control.complete(payment["id"], "succeeded")
        await changes.wait_for(lambda c: c.record.local_id == unknown.local_id and c.record.status == SUCCEEDED)
        await desk.refresh(unknown.local_id)

        revoked = await rig.control.mint_token(payouts=True)
        secrets.append(revoked)
        await rig.control.revoke_token(revoked)
        rejected_desk, rejected_changes = rig.desk(rig.client(revoked))
        rejected = await rejected_desk.submit(payout_request(description="revoked token"))
        assert rejected.status == REJECTED
        errors: list[ProviderError] = []
        try:
            await client.get_payout("pay_does_not_exist")
        except NotFoundError as exc:
            errors.append(exc)
        for error in errors:
            texts += [str(error), repr(error), error.user_message]
        for check_token in (rig.token, revoked, "tk_test_has space"):
            result = await run_connection_test(settings.profile(), check_token)
            texts.append(repr(result))
        assert "tk_test_" not in "".join(texts[-3:])
        assert result.status is ConnectionStatus.BAD_TOKEN

        csv_path = tmp_path / "export.csv"
        total = await desk.history_count(HistoryQuery())
        assert total == 7  # five faults, one outcome unknown, one rejected
        assert await desk.export_csv(HistoryQuery(), csv_path) == total
        texts += [repr(c) for c in changes.items + rejected_changes.items]
        texts += [repr(r) for r in await desk.history_page(HistoryQuery(), 0, total)]
        texts += [repr(e) for i in range(1, total + 1) for e in await desk.events(i)]
        await desk.stop()
        await rejected_desk.stop()
    finally:
        root.removeHandler(handler)
        handler.close()

    files = [settings_path, log_file, csv_path, *rig.journal.path.parent.glob(rig.journal.path.name + "*")]
    assert any(p.name.endswith("-wal") for p in files) or rig.journal.path in files
    assert log_file.stat().st_size > 0
    assert caplog.text
    for secret in secrets:
        for path in files:
            assert secret.encode() not in path.read_bytes(), path
        assert secret not in caplog.text
        for text in texts:
            assert secret not in text
