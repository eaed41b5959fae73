"""Prior-authorization commands: the admin, the API, beat tasks and the demo call these."""

from authorizations.services.authorizations import (  # noqa: F401
    LEGAL_TRANSITIONS,
    authorization_appeal,
    authorization_approve,
    authorization_create,
    authorization_deny,
    authorization_document_add,
    authorization_expire,
    authorization_pend,
    authorization_submit,
    authorization_void,
    decision_due,
    line_units_used,
    require_worker,
)
from authorizations.services.coverage import (  # noqa: F401
    CONSUMING,
    AuthorizationRequired,
    appointment_authorization_evaluate,
    appointment_authorization_override,
    appointments_reevaluate,
    gate,
    may_override,
    units_used,
)
from authorizations.services.requirements import authorization_required, matching_rule  # noqa: F401
