import datetime

import pytest
from django.utils import timezone

from careplans import demo
from careplans.models import CarePlan, QuestionnaireResponse, Task
from clinic import demo as clinic_demo

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent_and_puts_the_provider_on_teams():
    clinic_demo.seed(out=lambda *a: None)
    demo.seed(out=lambda *a: None)
    counts = (CarePlan.objects.count(), Task.objects.count(), QuestionnaireResponse.objects.count())
    demo.seed(out=lambda *a: None)
    assert (CarePlan.objects.count(), Task.objects.count(), QuestionnaireResponse.objects.count()) == counts
    assert counts[0] == 50 and counts[2] > 50 * 20
    assert CarePlan.objects.filter(team__provider__user__username="provider").count() >= 10
    assert Task.objects.filter(assignee_provider__user__username="provider", status="requested").count() >= 3
    assert CarePlan.objects.filter(problems__code="G97.1").exists() and CarePlan.objects.filter(problems__code="M54.16").exists()


def test_demo_tasks_fall_due_over_the_coming_days_not_at_the_moment_of_seeding():
    clinic_demo.seed(out=lambda *a: None)
    before = timezone.now()
    demo.seed(out=lambda *a: None)
    mine = list(Task.objects.filter(assignee_provider__user__username="provider", status="requested").values_list("due", flat=True))
    assert len(mine) >= 3
    assert all(due > before + datetime.timedelta(minutes=30) for due in mine)
    assert len({due.date() for due in mine}) >= 3
