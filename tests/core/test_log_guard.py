"""The session-wide log guard (tests/log_guard.py) must actually catch what it is there for."""

import io
import logging

import pytest

from tests import log_guard
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def leaky_logger():
    """A logger with a handler that skips the PHI filter, as a misconfigured library's would."""
    logger = logging.getLogger("tests.leaky")
    logger.propagate = False
    raw = logging.StreamHandler(io.StringIO())
    logger.addHandler(raw)
    log_guard.HANDLER.watch_non_propagating_loggers()
    yield logger
    logger.removeHandler(raw)
    logger.removeHandler(log_guard.HANDLER)
    logger.propagate = True


def test_guard_catches_a_seeded_phone_logged_through_an_unfiltered_handler(leaky_logger):
    patient = PatientFactory()
    leaky_logger.warning("could not reach %s", patient.phone.as_national)
    leaks = log_guard.HANDLER.take()  # taken here, so this test itself does not fail
    assert [leak.found for leak in leaks] == [str(patient.phone)[-10:]]
    assert leaks[0].logger == "tests.leaky"


@pytest.mark.parametrize(
    "template",
    ["booked {first} {last}", "patient {last} checked in", "mail to {email}", "Traceback ...\nValueError: {last}, {first}"],
)
def test_guard_catches_names_and_emails(leaky_logger, template):
    patient = PatientFactory(first_name="Rosa", last_name="Delgadillo")
    leaky_logger.error(template.format(first=patient.first_name, last=patient.last_name, email=patient.email.upper()))
    assert len(log_guard.HANDLER.take()) == 1


def test_guard_catches_an_unmasked_link_or_feed_url_even_with_an_unknown_token(leaky_logger):
    leaky_logger.info("GET /p/zz.abcdefgh12345678/ 200")
    leaky_logger.info("GET /calendar/Zm9vYmFy.ics 200")
    leaky_logger.info("GET /p/[token]/ 200 and /calendar/[token].ics and /q/i/[token]/")
    assert [leak.found for leak in log_guard.HANDLER.take()] == ["/p/zz.abcdefgh12345678/", "/calendar/Zm9vYmFy.ics"]


def test_guard_sees_through_the_root_logger_after_the_production_filter():
    """Through the configured root handler a phone is scrubbed before the guard sees it, but a
    surname (which no regex can recognise) is caught."""
    patient = PatientFactory(last_name="Okonkwo-Baptiste")
    logger = logging.getLogger("scheduling.some_module")
    logger.warning("reminder to %s", patient.phone)
    assert log_guard.HANDLER.take() == []
    logger.warning("reminder to %s", patient.last_name)
    assert [leak.found for leak in log_guard.HANDLER.take()] == ["Okonkwo-Baptiste"]


def test_ids_and_masked_tokens_pass():
    PatientFactory(first_name="Ana", last_name="Quintero")
    logging.getLogger("messaging").info("message 42 for patient 7 sent; link /p/[token]/")
    assert log_guard.HANDLER.take() == []
