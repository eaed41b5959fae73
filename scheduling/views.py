from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache

from core.errors import NotFound
from scheduling.services.feeds import calendar_feed_read


@never_cache
def provider_feed(request, token: str):
    """The secret token is the credential; an unknown, revoked or expired token is a plain 404."""
    try:
        body = calendar_feed_read(token=token)
    except NotFound:
        raise Http404("No such calendar feed.") from None
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")
