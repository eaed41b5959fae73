"""Helpers for browser tests (the browser fixtures themselves live in tests/conftest.py)."""


def login(page, live_server, username: str, password: str = "pass-word-123") -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")
