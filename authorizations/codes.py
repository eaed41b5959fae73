"""The procedure codes an authorization line names, and the procedure family (the payer-rule
vocabulary of scheduling.models.ProcedureFamily) each is booked as. A line's family is filled in
from this table when the clinic leaves it blank; an unknown code needs the family given.

CPT families per the DESIGN notes (cervical–thoracic vs lumbar–sacral pairs); 64490–64495 bill
both diagnostic medial branch blocks and intra-articular facet injections: the default is the
block (the usual authorization request before an RFA), the clinic admin may change a line."""

from __future__ import annotations

import re

from scheduling.models import ProcedureFamily as F

CODE_FAMILY: dict[str, str] = {
    # Epidural steroid injections: interlaminar and transforaminal.
    **dict.fromkeys(["62320", "62321", "62322", "62323", "64479", "64480", "64483", "64484"], F.ESI),
    # Facet joint / medial branch (64490–64495).
    **dict.fromkeys(["64490", "64491", "64492", "64493", "64494", "64495"], F.MBB),
    # Radiofrequency ablation of the facet nerves.
    **dict.fromkeys(["64633", "64634", "64635", "64636"], F.RFA),
    # Spinal cord stimulation: percutaneous electrode array (trial and permanent), generator.
    **dict.fromkeys(["63650", "63685", "63688", "L8680", "C1897"], F.SCS_TRIAL),
    "63661": F.SCS_REMOVAL,
    "62273": F.EBP,
    **dict.fromkeys(
        ["64400", "64405", "64415", "64418", "64420", "64425", "64445", "64447", "64450", "64454", "64505", "64510", "64520"], F.NERVE_BLOCK
    ),
}

# The codes of each family (what a requirement rule naming a code asks of a visit type).
FAMILY_CODES: dict[str, frozenset[str]] = {}
for _code, _family in CODE_FAMILY.items():
    FAMILY_CODES.setdefault(_family, frozenset())
    FAMILY_CODES[_family] = FAMILY_CODES[_family] | {_code}

CODE_PATTERN = re.compile(r"^(?:\d{4}[0-9AFMTU]|[A-Z]\d{4})$")  # CPT (Category I/II/III) or HCPCS Level II
UTN_PATTERN = re.compile(r"^[A-Z0-9]{14}$")  # Medicare Unique Tracking Number: 14 characters

MODIFIERS = [("LT", "LT (left)"), ("RT", "RT (right)"), ("50", "50 (bilateral)")]
