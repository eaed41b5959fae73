"""The patient-facing wording of the protocol steps the clinic ships (careplans/migrations), marked
for translation. Step titles and descriptions are data the clinic admin may edit; the
instructions page shows them through gettext, so a shipped default reaches a Spanish-speaking
patient in Spanish (locale/es/LC_MESSAGES/django.po) and an edited text is shown as written.

Why a catalogue of the defaults rather than a Spanish column per step: the wording then follows
the same path as every other patient text (one .po per language, adding a language needs no
code or migration), and a clinic that edits a step sees that its edit has no translation yet
(the test in tests/core/test_translations.py keeps the shipped ones complete)."""

from django.utils.translation import gettext_noop as N_

SHIPPED_STEP_TEXTS = (
    N_("Your pain diary after the block"),
    N_(
        "Write down your pain (0 to 10) just before the block, every 15 minutes for the first hour, then every hour for 8 hours. "
        "We will send you a link to enter it; bring the diary to your next visit too."
    ),
    N_("After your blood patch"),
    N_(
        "Lie flat as much as you can for 1 to 3 days. For 4 to 6 weeks avoid bending, lifting and straining. Call the clinic at "
        "once, or go to the emergency department, if you have new severe back or leg pain, leg weakness or numbness, numbness "
        "around the groin, trouble passing urine or controlling your bladder or bowel, fever, or a change in your headache."
    ),
    N_("Your blood sugar after the injection"),
    N_(
        "The steroid can raise blood sugar for 7 to 14 days. Check your glucose more often and call us or your diabetes team "
        "if it stays high."
    ),
    N_("Your daily diary during the stimulator trial"),
    N_(
        "Each day of the trial, write down your average pain (0 to 10), how far you walked and how you slept. We review it at lead removal."
    ),
)
