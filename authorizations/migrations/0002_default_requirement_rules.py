"""Shipped requirement rules: Medicare's outpatient prior authorization for spinal cord
stimulator implants (trial and permanent, CPT 63650 and related; approvals carry a 14-character
UTN and are valid 120 days), and the WISeR model's epidural steroid injections in its six
states, switched off until the clinic confirms it takes part. The clinic admin edits both."""

from django.db import migrations

WISER_STATES = ["AZ", "NJ", "OH", "OK", "TX", "WA"]


def forwards(apps, schema_editor):
    Payer = apps.get_model("clinic", "Payer")
    Terms = apps.get_model("authorizations", "PayerAuthorizationTerms")
    Rule = apps.get_model("authorizations", "RequirementRule")
    medicare, _ = Payer.objects.get_or_create(code="medicare", defaults={"name": "Medicare"})
    Terms.objects.get_or_create(
        payer=medicare, defaults={"standard_days": 7, "expedited_hours": 72, "reference_kind": "utn", "validity_days": 120}
    )
    Rule.objects.get_or_create(
        name="Medicare: spinal cord stimulator trial and implant (63650, 63685, 63688)",
        defaults={
            "payer": medicare,
            "procedure_family": "scs_trial",
            "required": True,
            "active": True,
            "source": "CMS hospital outpatient department prior authorization (42 CFR 419.83); UTN valid 120 days",
        },
    )
    Rule.objects.get_or_create(
        name="Medicare WISeR model: epidural steroid injections (AZ, NJ, OH, OK, TX, WA)",
        defaults={
            "payer": medicare,
            "procedure_family": "esi",
            "states": WISER_STATES,
            "required": True,
            "active": False,
            "source": "CMS WISeR model, 2026–2031; switch on once the clinic confirms it is in a participating state",
        },
    )


def backwards(apps, schema_editor):
    apps.get_model("authorizations", "RequirementRule").objects.filter(name__startswith="Medicare").delete()


class Migration(migrations.Migration):
    dependencies = [("authorizations", "0001_initial"), ("clinic", "0008_patient_history_triggers_after_merge")]

    operations = [migrations.RunPython(forwards, backwards)]
