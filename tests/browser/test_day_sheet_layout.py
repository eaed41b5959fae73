"""The day sheet read at a glance, measured in a real browser: one scale for the time axis and all
twelve provider columns (headers that wrap to different heights shift nothing), short visits in
full on hover and on keyboard focus, headers and time axis in view while scrolling."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from scheduling.models import Appointment
from tests.browser.conftest import login
from tests.factories import (
    DisciplineFactory,
    LocationFactory,
    PatientFactory,
    ProviderFactory,
    UserFactory,
    VisitTypeFactory,
    weekly_templates,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NY = zoneinfo.ZoneInfo("America/New_York")
DAY = dt.date(2027, 3, 15)  # a Monday, the day after DST began (the body's scale is wall-clock hours)
COLUMNS = 12
LONG_NAMES = {0: "Alexandra-Catherine", 3: "Maximiliano Bartholomew", 7: "Christopher-Jonathan"}


def _visit(provider, location, visit_type, hour, minute, minutes, *, last_name="Doe"):
    start = dt.datetime.combine(DAY, dt.time(hour, minute), tzinfo=NY)
    end = start + dt.timedelta(minutes=minutes)
    return Appointment.objects.create(
        patient=PatientFactory(last_name=last_name),
        provider=provider,
        visit_type=visit_type,
        location=location,
        start=start,
        end=end,
        room_start=start,
        room_end=end,
    )


@pytest.fixture
def sheet(db):
    from clinic.roles import FRONT_DESK

    UserFactory(username="desk", role=FRONT_DESK)
    location = LocationFactory()
    discipline = DisciplineFactory(code="physical-therapy")
    visit_type = VisitTypeFactory(code="pt-follow-up", name="PT follow-up with exercise review", discipline=discipline, room_kind="")
    providers = []
    for i in range(COLUMNS):
        provider = ProviderFactory(
            home_location=location,
            discipline=discipline,
            first_name=LONG_NAMES.get(i, "Ann"),
            last_name=f"Provider{i:02d}",
            credentials="PT, DPT",
        )
        weekly_templates(provider, location, start=dt.time(8), end=dt.time(17))
        _visit(provider, location, visit_type, 8, 0, 30)
        _visit(provider, location, visit_type, 13, 30, 60)
        providers.append(provider)
    short = _visit(providers[5], location, visit_type, 9, 0, 15, last_name="Wolfeschlegelsteinhausen")
    return {"location": location, "short": short, "providers": providers}


def _rect(page, selector):
    return page.eval_on_selector(
        selector, "e => { const r = e.getBoundingClientRect(); return {top: r.top, left: r.left, height: r.height, bottom: r.bottom}; }"
    )


def test_every_column_shares_the_time_axis_scale(page, live_server, sheet):
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, live_server, "desk")
    page.goto(f"{live_server.url}/admin/scheduling/appointment/day-sheet/?location={sheet['location'].pk}&date={DAY}")
    columns = page.locator("section.col")
    assert columns.count() == COLUMNS
    names = [page.locator(".col-head .head-name").nth(i).bounding_box()["height"] for i in range(COLUMNS)]
    assert max(names) - min(names) > 10, "some provider names wrap to more lines than others"

    line = {t: _rect(page, f'.tick[data-time="{t}"]')["top"] for t in ("08:00", "13:00", "14:00")}
    assert line["14:00"] - line["13:00"] > 40
    for i in range(COLUMNS):
        column = f"section.col:nth-of-type({i + 1})"
        eight = page.locator("section.col").nth(i).locator('article[data-start="08:00"]')
        half_past_one = page.locator("section.col").nth(i).locator('article[data-start="13:30"]')
        assert abs(eight.bounding_box()["y"] - line["08:00"]) <= 2, (column, eight.bounding_box(), line)
        middle = (line["13:00"] + line["14:00"]) / 2
        assert abs(half_past_one.bounding_box()["y"] - middle) <= 2, (column, half_past_one.bounding_box(), middle)


def test_a_short_visit_shows_in_full_on_hover_and_on_keyboard_focus(page, live_server, sheet):
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, live_server, "desk")
    page.goto(f"{live_server.url}/admin/scheduling/appointment/day-sheet/?location={sheet['location'].pk}&date={DAY}")
    short = sheet["short"]
    block = page.locator(f'article[data-appointment="{short.pk}"]')
    title = block.get_attribute("title")
    assert f"Wolfeschlegelsteinhausen, {short.patient.first_name}" in title and "PT follow-up with exercise review" in title
    collapsed = block.bounding_box()["height"]
    fits = """e => [e, ...e.querySelectorAll('.appt-link, .what')].every(x => x.scrollWidth <= x.clientWidth + 1 && x.scrollHeight <= x.clientHeight + 1)"""
    assert not block.evaluate(fits), "a 15-minute visit is cut while at rest"

    # Keyboard only: Tab from the page's start until the visit's link has focus.
    page.locator("#id_date").focus()
    for _ in range(200):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.closest('article')?.dataset.appointment === '{short.pk}'"):
            break
    else:
        pytest.fail("the short visit is not reachable with Tab")
    assert block.bounding_box()["height"] > collapsed
    assert block.evaluate(fits)
    assert block.evaluate("e => getComputedStyle(e).outlineStyle") != "none"  # focus is visible
    assert "Wolfeschlegelsteinhausen" in block.inner_text() and "PT follow-up with exercise review" in block.inner_text()

    page.locator("#id_date").focus()
    assert abs(block.bounding_box()["height"] - collapsed) < 1
    block.hover()
    assert block.bounding_box()["height"] > collapsed and block.evaluate(fits)


def test_headers_and_time_axis_stay_in_view_while_scrolling(page, live_server, sheet):
    page.set_viewport_size({"width": 1024, "height": 700})
    login(page, live_server, "desk")
    page.goto(f"{live_server.url}/admin/scheduling/appointment/day-sheet/?location={sheet['location'].pk}&date={DAY}")
    box = page.locator(".sheet-scroll")
    assert box.evaluate("e => e.scrollWidth > e.clientWidth && e.scrollHeight > e.clientHeight"), "twelve columns overflow both ways"
    frame = box.bounding_box()
    box.evaluate("e => { e.scrollLeft = e.scrollWidth; e.scrollTop = e.scrollHeight; }")
    assert box.evaluate("e => e.scrollLeft > 500 && e.scrollTop > 300")
    times = page.locator(".times").bounding_box()
    assert abs(times["x"] - frame["x"]) <= 2  # the time axis is still at the left edge
    last_head = page.locator(".col-head").nth(COLUMNS - 1).bounding_box()
    assert abs(last_head["y"] - frame["y"]) <= 2 and last_head["x"] < frame["x"] + frame["width"]
    # The scrolled body still lines up with the axis: a late visit sits on its hour line.
    line = page.locator('.tick[data-time="13:00"]').bounding_box()["y"]
    visit = page.locator("section.col").nth(COLUMNS - 1).locator('article[data-start="13:30"]').bounding_box()["y"]
    hour = page.locator('.tick[data-time="14:00"]').bounding_box()["y"] - line
    assert abs(visit - (line + hour / 2)) <= 2
