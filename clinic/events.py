"""What the clinic app announces. Care plans subscribe (they own checklists); clinic never imports them.

- MEDICATIONS_CHANGED: a patient's current anticoagulants / antiplatelets changed. Payload:
  `patient_id`, `by`, `now`. Subscribers run in the same transaction, so a pre-procedure
  checklist is recomputed with the change it depends on, or not at all.
"""

from __future__ import annotations

from enum import StrEnum

from core.events import Phase, Registry

__all__ = ["ClinicHappened", "Phase", "announce", "registry"]


class ClinicHappened(StrEnum):
    MEDICATIONS_CHANGED = "medications_changed"


registry: Registry[ClinicHappened] = Registry("clinic", ClinicHappened)
announce = registry.announce
