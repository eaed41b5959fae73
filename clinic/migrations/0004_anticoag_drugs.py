"""Anticoagulants as data: drugs with hold hours per procedure-risk tier (ASRA 2018 pain guideline,
Narouze et al., Reg Anesth Pain Med 2018) and any number of current drugs per patient. Each
patient's single recorded drug becomes a current PatientMedication row."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


# (code, name, class, hold hours low / intermediate / high, restart hours, note). Low-risk
# procedures have no default hold (ASRA: shared assessment for patients at high bleeding risk);
# aspirin for primary prevention is held before high-risk procedures only.
ASRA_2018 = [
    ("warfarin", "Warfarin", "vka", None, 120, 120, 24, "check the INR is normal on the day"),
    ("clopidogrel", "Clopidogrel", "p2y12", None, 168, 168, 24, ""),
    ("prasugrel", "Prasugrel", "p2y12", None, 168, 240, 24, "ASRA: 7–10 days"),
    ("ticagrelor", "Ticagrelor", "p2y12", None, 120, 120, 24, ""),
    ("aspirin", "Aspirin (primary prevention)", "aspirin", None, None, 144, 24, "secondary prevention: ask the prescriber"),
    ("rivaroxaban", "Rivaroxaban", "xa", None, 72, 72, 24, ""),
    ("apixaban", "Apixaban", "xa", None, 72, 72, 24, ""),
    ("edoxaban", "Edoxaban", "xa", None, 72, 72, 24, ""),
    ("dabigatran", "Dabigatran", "thrombin", None, 120, 120, 24, "6 days if renal function is impaired (CrCl < 50 mL/min)"),
    ("enoxaparin-prophylactic", "Enoxaparin (prophylactic dose)", "heparin", None, 12, 12, 12, ""),
    ("enoxaparin-therapeutic", "Enoxaparin (therapeutic dose)", "heparin", None, 24, 24, 24, ""),
    ("other", "Other anticoagulant or antiplatelet", "other", None, None, None, None, "agree the hold with the prescriber"),
]
# The single drug each patient had before, by its old code.
OLD_CODES = {"enoxaparin": "enoxaparin-therapeutic"}


def seed(apps, schema_editor):
    Drug = apps.get_model("clinic", "AnticoagulantDrug")
    Patient = apps.get_model("clinic", "Patient")
    Medication = apps.get_model("clinic", "PatientMedication")
    for code, name, drug_class, low, intermediate, high, restart, note in ASRA_2018:
        Drug.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "drug_class": drug_class,
                "hold_hours_low": low,
                "hold_hours_intermediate": intermediate,
                "hold_hours_high": high,
                "restart_hours": restart,
                "note": note,
            },
        )
    drugs = {d.code: d for d in Drug.objects.all()}
    for patient in Patient.objects.exclude(anticoagulant__in=["", "none"]).only("pk", "anticoagulant", "updated_at"):
        drug = drugs.get(OLD_CODES.get(patient.anticoagulant, patient.anticoagulant), drugs["other"])
        Medication.objects.create(patient=patient, drug=drug, recorded_at=patient.updated_at)


def unseed(apps, schema_editor):
    Patient = apps.get_model("clinic", "Patient")
    Medication = apps.get_model("clinic", "PatientMedication")
    for medication in Medication.objects.filter(stopped_at__isnull=True).select_related("drug"):
        old = {v: k for k, v in OLD_CODES.items()}.get(medication.drug.code, medication.drug.code)
        Patient.objects.filter(pk=medication.patient_id).update(anticoagulant=old)


class Migration(migrations.Migration):

    dependencies = [
        ('clinic', '0003_remove_view_clinical_permission'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AnticoagulantDrug',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.SlugField(max_length=40, unique=True)),
                ('name', models.CharField(max_length=80)),
                ('drug_class', models.CharField(choices=[('vka', 'Vitamin K antagonist'), ('p2y12', 'P2Y12 inhibitor (antiplatelet)'), ('aspirin', 'Aspirin / NSAID'), ('xa', 'Direct factor Xa inhibitor'), ('thrombin', 'Direct thrombin inhibitor'), ('heparin', 'Low-molecular-weight heparin'), ('other', 'Other')], max_length=20)),
                ('hold_hours_low', models.PositiveIntegerField(blank=True, help_text='Hours to hold before a low-risk procedure', null=True)),
                ('hold_hours_intermediate', models.PositiveIntegerField(blank=True, help_text='Hours to hold before an intermediate-risk procedure', null=True)),
                ('hold_hours_high', models.PositiveIntegerField(blank=True, help_text='Hours to hold before a high-risk procedure', null=True)),
                ('restart_hours', models.PositiveIntegerField(blank=True, help_text='Earliest restart, hours after the procedure', null=True)),
                ('note', models.CharField(blank=True, help_text='Shown on the checklist, e.g. check INR, renal function', max_length=200)),
                ('active', models.BooleanField(default=True)),
            ],
            options={
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='PatientMedication',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('recorded_at', models.DateTimeField()),
                ('stopped_at', models.DateTimeField(blank=True, null=True)),
                ('drug', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='clinic.anticoagulantdrug')),
                ('patient', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='medications', to='clinic.patient')),
                ('recorded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('stopped_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['patient', 'drug__name', 'id'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('stopped_at__isnull', True)), fields=('patient', 'drug'), name='patient_medication_one_current_per_drug')],
            },
        ),
        migrations.RunPython(seed, unseed),
    ]
