"""What care plans announce, for their own after-commit work and for later apps (prior
authorization, reports) that react to clinical records without care plans importing them.

- BREAK_GLASS_OPENED: `break_glass`, `now`; in the opening transaction. The clinic admins are
  e-mailed after commit.
- PROCEDURE_RECORDED: `appointment`, `record` (the new ProcedureRecord version),
  `new_complications` (codes this version adds to the previous one), `now`; in the recording
  transaction. A completed procedure's new complications run follow-up assembly in that
  transaction (careplans.subscriptions).
"""

from __future__ import annotations

from enum import StrEnum

from core.events import Phase, Registry

__all__ = ["CareplansHappened", "Phase", "announce", "registry"]


class CareplansHappened(StrEnum):
    PROCEDURE_RECORDED = "procedure_recorded"
    BREAK_GLASS_OPENED = "break_glass_opened"


registry: Registry[CareplansHappened] = Registry("careplans", CareplansHappened)
announce = registry.announce
