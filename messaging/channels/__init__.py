"""Delivery channels. Each gateway call is `send` (hand one message over, return the gateway's
id) and, where the gateway allows it, `lookup` (was this idempotency key already handed over?),
which is what lets a re-claimed message be finished without being sent twice."""


class GatewayError(Exception):
    """The gateway did not take the message.

    retryable: worth trying again later (timeouts, 429, 5xx).
    maybe_sent: the gateway may have accepted it anyway (a timeout after the request went out);
    the next attempt must look it up before sending again."""

    def __init__(self, message: str, *, retryable: bool, maybe_sent: bool = False):
        super().__init__(message)
        self.retryable = retryable
        self.maybe_sent = maybe_sent


class LookupUnsupported(Exception):
    """This gateway cannot say whether a message was already handed over."""
