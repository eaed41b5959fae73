"""The IHE scheduling round trip with an external client library (fhirclient's FHIRServer and R4
models) against a live server: find a free Slot, $book it, read the Appointment back, see the
Slot gone from the free list, book it again and get a 409 OperationOutcome."""

from __future__ import annotations

import pytest
import requests
from fhirclient.models.appointment import Appointment
from fhirclient.models.bundle import Bundle
from fhirclient.models.operationoutcome import OperationOutcome
from fhirclient.models.parameters import Parameters
from fhirclient.models.slot import Slot
from fhirclient.server import FHIRServer
from knox.models import AuthToken

from tests.fhir.conftest import tomorrow_utc


def _free(server, day) -> list[Slot]:
    search = Slot.where({"service-type": "pain-consult", "start": f"ge{day:%Y-%m-%d}", "status": "free", "_count": "5"})
    return list(search.perform_resources_iter(server))


def _book_parameters(slot_id: str, patient_id: int) -> Parameters:
    return Parameters(
        {
            "resourceType": "Parameters",
            "parameter": [
                {
                    "name": "appointment",
                    "resource": {
                        "resourceType": "Appointment",
                        "status": "proposed",
                        "slot": [{"reference": f"Slot/{slot_id}"}],
                        "participant": [{"actor": {"reference": f"Patient/{patient_id}"}, "status": "accepted"}],
                    },
                }
            ],
        }
    )


@pytest.mark.django_db(transaction=True)
def test_find_book_read_and_book_again_with_fhirclient(live_server, clinic):
    _, token = AuthToken.objects.create(user=clinic.desk_user)
    server = FHIRServer(None, base_uri=f"{live_server.url}/fhir/R4/")
    server.session.headers["Authorization"] = f"Token {token}"

    server.get_capability()
    assert server.capabilityStatement.fhirVersion == "4.0.1"

    day = tomorrow_utc()
    slots = _free(server, day)
    assert slots and all(isinstance(s, Slot) and s.status == "free" for s in slots)
    chosen = slots[0]

    response = server.post_json("Appointment/$book", _book_parameters(chosen.id, clinic.patient.pk).as_json())
    result = Bundle(response.json())
    booked = result.entry[0].resource
    assert isinstance(booked, Appointment) and booked.status == "booked"

    again = Appointment.read(booked.id, server)
    assert again.start.datetime == chosen.start.datetime
    assert f"Patient/{clinic.patient.pk}" in [p.actor.reference for p in again.participant]

    assert chosen.id not in [s.id for s in _free(server, day)]

    with pytest.raises(requests.HTTPError) as refused:
        server.post_json("Appointment/$book", _book_parameters(chosen.id, clinic.patient.pk).as_json())
    assert refused.value.response.status_code == 409
    problem = OperationOutcome(refused.value.response.json())
    assert problem.issue[0].code == "conflict" and "no longer free" in problem.issue[0].diagnostics
