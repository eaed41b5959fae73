from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache

from scheduling.ical import provider_feed_ics
from scheduling.models import CalendarFeed


@never_cache
def provider_feed(request, token: str):
    """The secret token is the credential; a revoked or unknown token is a plain 404."""
    feed = CalendarFeed.objects.filter(token=token, revoked_at__isnull=True).first()
    if feed is None:
        raise Http404("No such calendar feed.")
    return HttpResponse(provider_feed_ics(feed=feed), content_type="text/calendar; charset=utf-8")
