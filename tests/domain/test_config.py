"""The branch file: the demo loads, and every mistake names the file, the line and the key."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from queue_core.config import ConfigError, load_config, parse_config

DEMO = resources.files("queue_core.demo").joinpath("branch.toml").read_text("utf-8")


def _error(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "branch.toml")
    return str(info.value)


def _line_of(text: str, needle: str, nth: int = 1) -> int:
    seen = 0
    for n, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == nth:
                return n
    raise AssertionError(needle)


def test_the_demo_branch_is_valid() -> None:
    config = load_config()
    assert len(config.services) == 5 and len(config.tiers) == 3 and len(config.counters) == 8
    assert config.counter(8) is not None and config.counter(8).prefers_green  # type: ignore[union-attr]
    assert config.tier_for_card("6225882000111222").code == "diamond"  # type: ignore[union-attr]
    assert config.tier_for_card("4000000000000000") is None


def test_an_unknown_key_is_named_with_its_line() -> None:
    text = DEMO.replace("rank = 2\n", 'rank = 2\ncolour = "red"\n')
    assert _error(text) == (
        f"branch.toml:{_line_of(text, 'colour')}: tiers[2].colour: unknown key 'colour'"
    )


def test_a_counter_serving_an_unknown_service_is_named() -> None:
    text = DEMO.replace('services = ["A"]\n', 'services = ["X"]\n', 1)
    message = _error(text)
    line = _line_of(text, 'services = ["X"]')
    assert message.startswith(f"branch.toml:{line}: ")
    assert "counters[1].services[0]: unknown service 'X' (known: A, B, C, D, V)" in message


def test_bad_values_and_missing_keys() -> None:
    assert "branch.timezone: unknown time zone 'Mars/Base'" in _error(
        DEMO.replace('timezone = "Asia/Shanghai"', 'timezone = "Mars/Base"')
    )
    assert "branch.opening: expected HH:MM" in _error(DEMO.replace('"09:00"', '"9 am"'))
    no_name = DEMO.replace('name = "城东支行"\n', "", 1)
    assert "branch.name: required key is missing" in _error(no_name)
    assert "not valid TOML" in _error("[branch\ncode = 1")


def test_duplicates_are_refused() -> None:
    text = DEMO.replace("number = 2\n", "number = 1\n", 1)
    assert "counters[1].number: duplicate number 1" in _error(text)


def test_a_staff_member_needs_exactly_one_pin() -> None:
    text = DEMO.replace('pin = "1111"\n', "", 1)
    assert "staff[0]: give exactly one of pin or pin_hash" in _error(text)


def test_service_level_targets_become_the_routing_policys() -> None:
    policy = load_config().routing.policy_object()
    names = [(lv.name, lv.within_s, lv.share) for lv in policy.targets]
    assert names[0] == ("green channel", 180.0, 0.9) and names[-1] == ("normal", 900.0, 0.8)
    gold = policy.level_for("gold", False)
    assert gold is not None and gold.within_s == 300.0
    assert policy.level_for("gold", True) == policy.targets[0]  # the green channel first
    assert policy.longest_wait_s == 1800.0


def test_a_target_naming_an_unknown_tier_or_splitting_a_rank_is_refused() -> None:
    text = DEMO.replace('tiers = ["gold"]', 'tiers = ["platinum"]')
    assert _error(text) == (
        f"branch.toml:{_line_of(text, 'platinum')}: routing.targets[2].tiers[0]: "
        "unknown tier 'platinum' (known: diamond, gold, normal)"
    )
    silver = DEMO.replace('[[tiers]]\ncode = "gold"', '[[tiers]]\ncode = "silver"\nrank = 1\n\n'
                          '[[tiers]]\ncode = "gold"')  # fmt: skip
    assert "tiers silver, gold share rank 1 but not a target" in _error(silver)


def test_a_public_url_phones_cannot_reach_is_a_warning_not_an_error() -> None:
    assert load_config().warnings()[0].startswith("[branch] public_url is not set")
    for loopback in ("http://127.0.0.1:8080", "http://localhost", "https://[::1]/"):
        config = load_config().with_public_url(loopback)
        assert "loopback" in config.warnings()[0]
    lan = load_config().with_public_url("http://192.168.1.20:8080/")
    assert lan.branch.public_url == "http://192.168.1.20:8080" and lan.warnings() == []
    text = DEMO.replace('closing = "17:00"\n', 'closing = "17:00"\npublic_url = "q.bank"\n', 1)
    assert "branch.public_url: expected an http:// or https:// address" in _error(text)
    with pytest.raises(ConfigError, match="--public-url"):
        load_config().with_public_url("https://q.bank/?x=1")


def test_check_config_prints_the_warning_and_still_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from queue_core.cli import main

    ok = tmp_path / "ok.toml"
    ok.write_text(
        DEMO.replace('closing = "17:00"\n', 'closing = "17:00"\npublic_url = "https://q.bank"\n', 1)
    )
    local = tmp_path / "local.toml"
    local.write_text(
        DEMO.replace(
            'closing = "17:00"\n', 'closing = "17:00"\npublic_url = "http://127.0.0.1"\n', 1
        )
    )
    assert main(["check-config", str(ok)]) == 0
    assert "warning" not in capsys.readouterr().err
    assert main(["check-config", str(local)]) == 0
    assert (
        "warning: [branch] public_url http://127.0.0.1 is a loopback address"
        in capsys.readouterr().err
    )


def test_the_notify_section_is_checked_and_missing_key_files_are_warned(tmp_path: Path) -> None:
    key = tmp_path / "vapid.pem"
    key.write_text("x")
    section = (
        f'\n[notify]\nahead = 2\n[notify.push]\nvapid_private_key = "{key}"\n'
        'subject = "mailto:it@bank.example"\n[notify.sms]\nsecret_id = "AKIDx"\n'
        f'secret_key_file = "{tmp_path / "missing.key"}"\nsdk_app_id = "1400006666"\n'
        'sign_name = "示范银行"\ntemplate_next = "1110"\ntemplate_called = "1111"\n'
    )
    config = parse_config(DEMO + section)
    assert config.notify.ahead == 2 and config.notify.push is not None
    assert [w for w in config.warnings() if "notify" in w] == [
        f"[notify.sms] secret_key_file {tmp_path / 'missing.key'} is not a readable file: "
        "that channel will not send"
    ]
    bad = section.replace("mailto:it@bank.example", "it-desk")
    assert "notify.push.subject" in _error(DEMO + bad)
