"""The ticket page's opt-in against a real engine configured with both channels, sending to the
local push service and the local Tencent Cloud SMS gateway: what it refuses, that the customer
is told, that stopping deletes the request, and that no number reaches the engine's log."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from queue_core.client import EngineClient
from queue_core.notify.push import new_vapid_key
from tests.support.engine import DEMO_CONFIG, KIOSK_TOKEN, RunningEngine
from tests.support.gateways import PushService, TencentSmsGateway

PHONE = "138 1234 5678"


def _branch_file(folder: Path, sms: TencentSmsGateway, sms_url: str) -> Path:
    new_vapid_key(folder / "vapid.pem")
    (folder / "sms.key").write_text(sms.secret_key)
    text = DEMO_CONFIG.read_text(encoding="utf-8")
    text += f"""
[notify]
ahead = 1

[notify.push]
vapid_private_key = "{folder / "vapid.pem"}"
subject = "mailto:it@bank.example"
allow_loopback = true

[notify.sms]
secret_id = "{sms.secret_id}"
secret_key_file = "{folder / "sms.key"}"
sdk_app_id = "1400006666"
sign_name = "示范银行"
template_next = "1110"
template_called = "1111"
endpoint = "{sms_url}"
"""
    path = folder / "branch.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _until(check: object, what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"never: {what}")


def test_the_opt_in_tells_the_customer_and_keeps_no_number_in_sight(tmp_path: Path) -> None:
    sms = TencentSmsGateway()
    with PushService().running() as push, sms.running() as sms_url:
        engine = RunningEngine(workdir=tmp_path, config=_branch_file(tmp_path, sms, sms_url))
        engine.start()
        try:
            api = f"{engine.url}/api/v1"
            offered = httpx.get(f"{api}/phone/branch", timeout=10).json()["notify"]
            assert offered["sms"] is True and len(offered["push_key"]) == 87
            with EngineClient(engine.url, KIOSK_TOKEN) as kiosk:
                _first, second, third = (kiosk.issue("A") for _ in range(3))
            notify = f"{api}/tickets/{third['id']}/public/notify"

            def refusal(body: object) -> str:
                answer = httpx.post(notify, json=body, timeout=10)
                assert answer.status_code in (409, 422), answer.text
                return str(answer.json()["error"]["code"])

            assert refusal({"sms": {"phone": PHONE}}) == "consent_needed"
            assert refusal({"sms": {"phone": "12345", "consent": True}}) == "invalid_phone"
            evil = {"endpoint": "https://intranet.bank.local/x", "keys": push.subscribe()["keys"]}
            assert refusal({"push": evil}) == "invalid_subscription"
            assert refusal({}) == "one_channel"
            made = httpx.post(notify, json={"sms": {"phone": PHONE, "consent": True}}, timeout=10)
            assert made.status_code == 201 and made.json() == {"channel": "sms", "ahead": 1}
            subscribed = httpx.post(
                f"{api}/tickets/{second['id']}/public/notify",
                json={"push": push.subscribe(), "lang": "zh"},
                timeout=10,
            )
            assert subscribed.status_code == 201
            # One ahead of the second already: told at once that it is near.
            _until(lambda: len(push.delivered) == 1, "the push 'near'")
            assert push.delivered[0]["message"]["body"] == (
                f"{second['number']}：前面还有 1 人，请回到大厅留意叫号"
            )
            assert sms.accepted == []  # two ahead of the third: not yet

            with EngineClient(engine.url, engine.teller_token(3)) as teller:
                teller.counter_action(3, "open")
                teller.call_next(3)  # the first: the third has one ahead now
                _until(lambda: len(sms.accepted) == 1, "the SMS 'near'")
                assert sms.accepted[0]["TemplateParamSet"] == [third["number"], "1"]
                assert sms.accepted[0]["PhoneNumberSet"] == ["+8613812345678"]

                stopped = httpx.delete(notify, timeout=10)
                assert stopped.status_code == 204
                teller.counter_action(3, "finish")
                teller.call_next(3)  # the second is called: told by push
                _until(lambda: len(push.delivered) == 2, "the push 'called'")
                assert "号到 3号窗口" in push.delivered[1]["message"]["body"]
                teller.counter_action(3, "finish")
                teller.call_next(3)  # the third, who stopped: told nothing more
            assert len(sms.accepted) == 1
        finally:
            engine.stop()
        log = engine.log_path.read_text()
        assert "13812345678" not in log and "1234 5678" not in log
