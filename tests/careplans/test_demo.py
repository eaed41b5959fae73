import pytest

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
