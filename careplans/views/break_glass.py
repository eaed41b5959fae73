"""Break-glass from the workspace: the refusal page of a patient's record offers it to the
clinical roles, and its form opens the record through the same service as the API.

The refusal looks the same for a patient that does not exist and for one the user may not see
(404, same words, same form), so the page confirms nothing; only a break-glass actually opened,
which is audited and sent to the clinic admin for review, tells a clinician the record exists."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from careplans.services import break_glass_open
from careplans.services.break_glass import REASON_MIN_LENGTH
from core.errors import Conflict, DomainError, NotFound, ValidationFailed

REFUSAL = "No such patient, or not one of yours."


def refusal_page(request, patient_id: int, *, errors: list[str] | None = None, reason: str = "", status: int = 404):
    return render(
        request,
        "workspace/refused.html",
        {"message": REFUSAL, "patient_id": patient_id, "errors": errors or [], "reason": reason, "min_length": REASON_MIN_LENGTH},
        status=status,
    )


@login_required
@require_POST
def break_glass_view(request, pk: int):
    reason = request.POST.get("reason", "")
    try:
        break_glass_open(patient_id=pk, by=request.user, reason=reason)
    except ValidationFailed as error:
        problems = [m for field in error.field_errors.values() for m in field] or [error.message]
        return refusal_page(request, pk, errors=problems, reason=reason[:2000], status=400)
    except NotFound:
        return refusal_page(request, pk)
    except Conflict as error:
        messages.info(request, error.message)
        return HttpResponseRedirect(reverse("workspace:patient", args=[pk]))
    except DomainError as error:
        return render(request, "workspace/error.html", {"error": error}, status=error.http_status)
    # The patient page says until when, in a banner of its own, for as long as it lasts.
    return HttpResponseRedirect(reverse("workspace:patient", args=[pk]))
