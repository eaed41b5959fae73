"""Default follow-up protocols (shared/DESIGN.md §3). Data, not code: clinic admins edit them in
the admin. Frozen here so a fresh install always has them; re-running adds nothing twice."""

from django.db import migrations

DAY = 24 * 60
HOUR = 60

# (code, name, source, all_procedures, families, steps)
# step: dict(code, title, kind, anchor, offset, role, priority, ... conditions)
PROTOCOLS = [
    (
        "pre-procedure-checklist",
        "Pre-procedure checklist (every procedure)",
        "ASRA 2018 anticoagulation guideline (Narouze et al.); clinic policy",
        True,
        [],
        [
            dict(code="anticoagulant", title="Anticoagulant review", kind="checklist", anchor="booked", checklist_code="anticoagulant", role="anesthesiology"),
            dict(code="consent", title="Consent signed on the day", kind="checklist", anchor="booked", checklist_code="consent", role="care_coordinator"),
            dict(code="driver", title="Driver arranged", kind="checklist", anchor="booked", checklist_code="driver", role="care_coordinator"),
            dict(code="npo", title="NPO instructions given (4–6 h)", kind="checklist", anchor="booked", checklist_code="npo", role="care_coordinator"),
            dict(code="pregnancy", title="Pregnancy check (fluoroscopy)", kind="checklist", anchor="booked", checklist_code="pregnancy", role="care_coordinator"),
            dict(code="contrast-allergy", title="Contrast / local anaesthetic allergy checked", kind="checklist", anchor="booked", checklist_code="contrast_allergy", role="anesthesiology"),
            dict(code="glucose-plan", title="Diabetic glucose plan", kind="checklist", anchor="booked", checklist_code="glucose_plan", role="care_coordinator", when_diabetic=True),
            dict(
                code="anticoagulant-hold-plan",
                title="Agree anticoagulant hold plan with the prescriber",
                description="The patient takes an anticoagulant: confirm the hold days (ASRA) with the prescriber and tell the patient.",
                kind="task",
                anchor="start",
                offset=-10 * DAY,
                role="anesthesiology",
                priority="urgent",
                when_anticoagulated=True,
            ),
        ],
    ),
    (
        "ebp",
        "Epidural blood patch",
        "EBP consensus guideline 2023 (JNNP); clinic policy for the nutrition screen",
        False,
        ["ebp"],
        [
            dict(code="nutrition-screen", title="Nutrition screen (B12, iron, vitamin K)", kind="checklist", anchor="booked", checklist_code="nutrition_screen", role="nutrition"),
            dict(
                code="nutrition-screen-task",
                title="Nutrition screen before epidural blood patch (B12, iron, vitamin K)",
                kind="task",
                anchor="booked",
                role="nutrition",
                priority="routine",
            ),
            dict(
                code="discharge-instructions",
                title="After your blood patch",
                description=(
                    "Lie flat as much as you can for 1 to 3 days. For 4 to 6 weeks avoid bending, lifting and straining. "
                    "Call the clinic at once, or go to the emergency department, if you have new severe back or leg pain, "
                    "leg weakness or numbness, numbness around the groin, trouble passing urine or controlling your bladder or bowel, "
                    "fever, or a change in your headache."
                ),
                kind="patient_message",
                anchor="completed",
            ),
            dict(
                code="next-day-call",
                title="Next-day phone check after blood patch",
                description="Required. Ask about headache, back/leg pain, weakness, numbness, bladder/bowel, fever. Red flags → urgent review.",
                kind="task",
                anchor="completed",
                offset=1 * DAY,
                role="care_coordinator",
                priority="urgent",
            ),
            dict(
                code="72h-check",
                title="72-hour check after blood patch (end of flat rest)",
                kind="task",
                anchor="completed",
                offset=3 * DAY,
                role="care_coordinator",
            ),
        ],
    ),
    (
        "esi",
        "Epidural steroid injection",
        "Medicare LCD L39240 / A58777 (relief documentation); clinic policy",
        False,
        ["esi"],
        [
            dict(code="2-week-peg", title="2-week pain questionnaire (PEG) with % relief", kind="questionnaire", anchor="completed", offset=14 * DAY, questionnaire="PEG", ask_relief=True),
            dict(
                code="follow-up-visit",
                title="Book ESI follow-up visit (2–4 weeks)",
                description="Record % relief at the visit: the payer rule for a repeat ESI needs it.",
                kind="follow_up_visit",
                anchor="completed",
                offset=14 * DAY,
                window=14 * DAY,
                role="front_desk",
            ),
            dict(
                code="glucose-warning",
                title="Your blood sugar after the injection",
                description="The steroid can raise blood sugar for 7 to 14 days. Check your glucose more often and call us or your diabetes team if it stays high.",
                kind="patient_message",
                anchor="completed",
                when_diabetic=True,
            ),
        ],
    ),
    (
        "mbb",
        "Diagnostic medial branch block",
        "Medicare LCD L39240 (≥80 % relief before RFA)",
        False,
        ["mbb", "facet"],
        [
            dict(
                code="pain-diary",
                title="Your pain diary after the block",
                description="Write down your pain (0 to 10) every 15 minutes for the first hour, then every hour for 8 hours. Bring the diary to your next visit.",
                kind="patient_message",
                anchor="completed",
            ),
            dict(
                code="record-relief",
                title="Record % relief from the diagnostic block",
                description="Review the pain diary; ≥80 % relief on two blocks allows RFA.",
                kind="task",
                anchor="completed",
                offset=1 * DAY,
                role="anesthesiology",
            ),
        ],
    ),
    (
        "rfa",
        "Radiofrequency ablation",
        "Clinic policy",
        False,
        ["rfa"],
        [
            dict(code="pt-referral", title="Physical therapy referral after RFA", kind="task", anchor="completed", role="physical_therapy"),
            dict(code="follow-up-visit", title="Book RFA follow-up (3–4 weeks)", kind="follow_up_visit", anchor="completed", offset=21 * DAY, window=7 * DAY, role="front_desk"),
        ],
    ),
    (
        "scs-trial",
        "Spinal cord stimulator trial",
        "Clinic policy (trial 3–8 days)",
        False,
        ["scs_trial"],
        [
            dict(
                code="daily-diary",
                title="Your daily diary during the stimulator trial",
                description="Each day of the trial, write down your average pain (0 to 10), how far you walked and how you slept. We review it at lead removal.",
                kind="patient_message",
                anchor="completed",
            ),
            dict(code="lead-removal", title="Book SCS lead removal at trial end", kind="follow_up_visit", anchor="completed", offset=7 * DAY, window=1 * DAY, role="front_desk", priority="urgent"),
            dict(
                code="decision",
                title="SCS trial decision: ≥50 % relief → discuss permanent implant",
                kind="task",
                anchor="completed",
                offset=7 * DAY,
                role="anesthesiology",
            ),
        ],
    ),
    (
        "dural-puncture",
        "Complication: inadvertent dural puncture",
        "Clinic policy",
        True,
        [],
        [
            dict(
                code="csf-leak-check",
                title="CSF-leak symptom check within 24 h (post-dural-puncture headache)",
                description="Positional headache, neck stiffness, tinnitus, nausea? Anesthesiology review; consider blood patch.",
                kind="task",
                anchor="completed",
                offset=24 * HOUR,
                role="anesthesiology",
                priority="urgent",
                when_complication="dural_puncture",
            ),
        ],
    ),
]


def forwards(apps, schema_editor):
    Protocol = apps.get_model("careplans", "Protocol")
    ProtocolStep = apps.get_model("careplans", "ProtocolStep")
    for code, name, source, all_procedures, families, steps in PROTOCOLS:
        protocol, _ = Protocol.objects.get_or_create(
            code=code, defaults={"name": name, "source": source, "all_procedures": all_procedures, "procedure_families": families}
        )
        for order, step in enumerate(steps):
            ProtocolStep.objects.get_or_create(
                protocol=protocol,
                code=step["code"],
                defaults={
                    "order": order,
                    "title": step["title"],
                    "description": step.get("description", ""),
                    "kind": step["kind"],
                    "anchor": step.get("anchor", "completed"),
                    "offset_minutes": step.get("offset", 0),
                    "window_minutes": step.get("window", 0),
                    "assignee_role": step.get("role", ""),
                    "priority": step.get("priority", "routine"),
                    "questionnaire": step.get("questionnaire", ""),
                    "ask_relief": step.get("ask_relief", False),
                    "message_purpose": step.get("message_purpose", ""),
                    "checklist_code": step.get("checklist_code", ""),
                    "when_complication": step.get("when_complication", ""),
                    "when_diabetic": step.get("when_diabetic"),
                    "when_anticoagulated": step.get("when_anticoagulated"),
                },
            )


class Migration(migrations.Migration):
    dependencies = [("careplans", "0002_care_plans")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
