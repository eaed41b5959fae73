from django.apps import AppConfig


class FhirConfig(AppConfig):
    """FHIR R4 at /fhir/R4/: a read, search and scheduling face over the other apps' selectors and
    services. Nothing imports this app; it stores nothing of its own."""

    name = "fhir"
    verbose_name = "FHIR R4"

    def ready(self) -> None:
        from core.middleware import refusal_response_register
        from fhir.http import refused_input_response

        refusal_response_register("/fhir/", refused_input_response)
