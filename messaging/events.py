"""What messaging announces. Care plans subscribe (they own tasks); messaging never imports them.

- PATIENT_NEEDS_FRONT_DESK: a patient's text or link asks for a person (a reply the system does
  not understand, a request for another time). Payload: `patient` (or None for an unknown
  number), `title`, `text`, `source` ("inbound_sms" or "patient_link"), `dedupe_key`, `now`.
  Subscribers run in the same transaction, so the work item commits with the inbound record.
"""

from __future__ import annotations

from enum import StrEnum

from core.events import Phase, Registry

__all__ = ["MessagingHappened", "Phase", "announce", "registry"]


class MessagingHappened(StrEnum):
    PATIENT_NEEDS_FRONT_DESK = "patient_needs_front_desk"


registry: Registry[MessagingHappened] = Registry("messaging", MessagingHappened)
announce = registry.announce
