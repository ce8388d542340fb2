"""The pages load in Chromium without script errors, Chinese first, English on one click."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect


@pytest.mark.parametrize(
    ("path", "heading"),
    [("/caller", "柜员登录"), ("/lobby", "大堂经理登录"), ("/rating", "评价器设置")],
)
def test_page_opens_in_chinese_with_its_login(
    page: Page, pages_server: str, path: str, heading: str
) -> None:
    page.goto(pages_server + path)
    # The caller and lobby keep their page's h1 above the login form; the rating tablet's set-up
    # form is the whole page, so its heading is the h1.
    expect(page.locator(".login :is(h1, h2):visible")).to_have_text(heading)
    assert page.errors == []  # type: ignore[attr-defined]


def test_english_is_one_click_away_and_remembered(page: Page, pages_server: str) -> None:
    page.goto(pages_server + "/caller")
    page.click("#lang")
    expect(page.locator(".login h2:visible")).to_have_text("Teller login")
    page.reload()
    expect(page.locator("#login-submit")).to_have_text("Log in")


def test_assets_are_served_locally_and_nothing_outside_web(pages_server: str) -> None:
    js = httpx.get(f"{pages_server}/ui/js/caller.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert httpx.get(f"{pages_server}/ui/../pages.py").status_code == 404
    assert httpx.get(f"{pages_server}/ui/%2e%2e/pages.py").status_code == 404
    for path in ("/caller", "/rating", "/lobby"):
        html = httpx.get(pages_server + path).text
        assert "http://" not in html and "https://" not in html  # no CDN
