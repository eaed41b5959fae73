import json
import logging

from core.logging import JsonFormatter, ScrubPHIFilter, scrub


def test_scrub_masks_phone_numbers_and_emails():
    text = scrub("sent to +1 617-555-0123 and rosa.delgado@example.com for appointment 42")
    assert "555" not in text and "rosa" not in text
    assert "appointment 42" in text


def test_log_lines_are_json_with_ids_and_no_phi():
    record = logging.LogRecord("messaging", logging.INFO, __file__, 1, "delivered to %s", ("+16175550123",), None)
    record.message_id = 7
    assert ScrubPHIFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "delivered to [phone]" and line["message_id"] == 7 and line["level"] == "INFO"


# --- Tokens, query strings and database values (issue 9) -------------------------------------
import io  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from django.db import IntegrityError, connection, transaction  # noqa: E402

from tests.factories import PatientFactory  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Not Found: /p/3k.AbCdEf0123456789/", "Not Found: /p/[token]/"),
        ('"GET /q/i/9z.tOkEn_-0123456789/ HTTP/1.1" 200', '"GET /q/i/[token]/ HTTP/1.1" 200'),
        ("GET /q/abc.def/ 410", "GET /q/[token]/ 410"),
        ("Not Found: /q/i/[token]/", "Not Found: /q/i/[token]/"),  # scrubbing twice changes nothing
        ('"GET /calendar/abc-DEF_123.ics HTTP/1.1" 404', '"GET /calendar/[token].ics HTTP/1.1" 404'),
        ("GET /admin/clinic/patient/?q=Rosa+Delgado&o=1 200", "GET /admin/clinic/patient/?[query] 200"),
        ("GET /api/v1/patients/?search=delgado 200", "GET /api/v1/patients/?[query] 200"),
        ("is this a question? yes", "is this a question? yes"),
    ],
)
def test_scrub_masks_tokens_in_urls_and_query_strings(line, expected):
    assert scrub(line) == expected


def test_scrub_drops_values_from_postgres_detail_but_keeps_the_columns():
    text = 'duplicate key value violates unique constraint "uniq"\nDETAIL:  Key (lower(last_name::text), dob)=(delgado, 1975-06-15) already exists.'
    assert scrub(text) == 'duplicate key value violates unique constraint "uniq"\nDETAIL:  Key (lower(last_name::text), dob)=[values]'
    assert scrub("DETAIL:  Failing row contains (7, Rosa, Delgado).") == "DETAIL:  [values]"


@contextmanager
def production_log_output():
    """The configured root handler (settings.LOGGING), writing into a buffer for the test."""
    handler = next(h for h in logging.getLogger().handlers if any(isinstance(f, ScrubPHIFilter) for f in h.filters))
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(previous)


@pytest.mark.django_db
def test_a_real_integrity_error_is_logged_without_the_row_values():
    patient = PatientFactory(last_name="Delgadillo", email="rosa.d@patients.example")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE log_probe (email text UNIQUE, last_name text)")
        cursor.execute("INSERT INTO log_probe VALUES (%s, %s)", [patient.email, patient.last_name])
    with production_log_output() as output:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("INSERT INTO log_probe VALUES (%s, %s)", [patient.email, patient.last_name])
        except IntegrityError as error:
            assert patient.email in str(error)  # PostgreSQL does copy the value into the error
            logging.getLogger("scheduling").exception("could not save: %s", error)
    line = json.loads(output.getvalue().strip().splitlines()[-1])
    assert "DETAIL:  Key (email)=[values]" in line["msg"] and "DETAIL:  Key (email)=[values]" in line["exc"]
    assert "rosa" not in output.getvalue() and "Delgadillo" not in output.getvalue()


@pytest.mark.django_db
def test_django_request_log_of_a_bad_patient_link_shows_no_token(client):
    with production_log_output() as output:
        assert client.get("/p/zz.secretsecret1234/").status_code in {404, 410}
        assert client.get("/calendar/a-feed-secret-token.ics?q=Delgado").status_code == 404
    text = output.getvalue()
    assert "secretsecret1234" not in text and "a-feed-secret-token" not in text and "Delgado" not in text
    assert "/calendar/[token].ics" in text


def test_runserver_access_lines_go_through_the_filter():
    """Django's default gives django.server its own unfiltered handler; ours removes it."""
    server = logging.getLogger("django.server")
    assert server.handlers == [] and server.propagate
    with production_log_output() as output:
        server.info('"%s" %s %s', "GET /calendar/feedsecret123.ics?q=Rosa HTTP/1.1", "200", "120")
    assert json.loads(output.getvalue())["msg"] == '"GET /calendar/[token].ics?[query] HTTP/1.1" 200 120'


def _test_database_url() -> str:
    """The test database as a URL, on a TCP server or the embedded one's Unix socket."""
    db = connection.settings_dict
    on_socket = db["HOST"].startswith("/")
    port = f":{db['PORT']}" if db["PORT"] else ""
    url = f"postgres://{db['USER']}@{'' if on_socket else db['HOST']}{port}/{db['NAME']}"
    return url + (f"?host={db['HOST']}" if on_socket else "")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.django_db(transaction=True)
def test_gunicorn_access_log_has_no_tokens_query_strings_or_referrers(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "APP_ENV"}
    env["DATABASE_URL"] = _test_database_url()
    out, err = tmp_path / "out.log", tmp_path / "err.log"
    with out.open("w") as stdout, err.open("w") as stderr:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--config",
                "config/gunicorn.py",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "config.wsgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=stdout,
            stderr=stderr,
        )
        try:
            for path in ("/calendar/feed-secret-abcdef.ics?q=Delgado", "/p/zz.linksecret123456/", "/healthz"):
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}{path}", headers={"Referer": "https://mail.example/p/zz.referersecret99/"}
                )
                for _ in range(100):
                    try:
                        urllib.request.urlopen(request, timeout=5)  # noqa: S310 - our own local server
                        break
                    except urllib.error.HTTPError:
                        break
                    except (urllib.error.URLError, ConnectionError):
                        time.sleep(0.1)
        finally:
            server.terminate()
            server.wait(timeout=20)
    written = out.read_text() + err.read_text()
    access = [json.loads(line) for line in out.read_text().splitlines() if '"gunicorn.access"' in line]
    assert [entry["msg"].split(" ")[:2] for entry in access] == [
        ["GET", "/calendar/[token].ics"],
        ["GET", "/p/[token]/"],
        ["GET", "/healthz"],
    ], written
    for secret in ("feed-secret-abcdef", "linksecret123456", "referersecret99", "Delgado", "q="):
        assert secret not in written


def test_celery_worker_logging_uses_the_phi_filter():
    """What `celery worker` does at start-up (app.log.setup, then celeryd_after_setup): its
    loggers, redirected stdout included, write JSON lines through the filter."""
    code = (
        "from config.celery import app\n"
        "from celery import signals\n"
        "app.log.setup(loglevel='INFO', redirect_stdouts=False)\n"
        "signals.celeryd_after_setup.send(sender='worker@test', instance=None, conf=app.conf)\n"
        "from celery.utils.log import get_task_logger\n"
        "get_task_logger('messaging.tasks').warning('sending to %s', '+16175550199')\n"
        "print('SMS body for +1 617 555 0199 with https://clinic.example/p/zz.printsecret12345/')\n"
        "import sys; sys.stdout.flush()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=60)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "5550199" not in output and "printsecret12345" not in output
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert any(line["logger"] == "messaging.tasks" and line["msg"] == "sending to [phone]" for line in lines), output
    assert any(line["logger"] == "celery.redirected" and "/p/[token]/" in line["msg"] for line in lines), output


def test_scrub_masks_a_phone_number_at_the_end_of_a_sentence_but_not_a_duration():
    assert scrub("call +1 617-555-0100. Thanks") == "call [phone]. Thanks"
    assert scrub("task took 0.0123456789 s") == "task took 0.0123456789 s"
