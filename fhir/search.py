"""Search parameters: the table entries, the values' grammar, and paging.

Each resource type declares its parameters (`Param`) in fhir.registry; a request is checked
against that declaration here (unknown parameters reported, or refused with
`Prefer: handling=strict`), values are parsed by type (token, reference, date with its prefix,
string, number), and every bad value is a 400 OperationOutcome naming the parameter.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlencode

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from fhir.http import ID_PATTERN, FhirError, operation_outcome

DEFAULT_COUNT = 20
MAX_COUNT = 100
MAX_OFFSET = 10_000  # deeper pages are refused: narrow the search instead
GLOBAL_PARAMS = ("_count", "_offset", "_include", "_format")
PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
YEARS = (1900, 2200)  # a date outside is a mistake, not a search


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # FHIR search parameter type: token, reference, date, string, number
    doc: str


@dataclass
class Query:
    """A search request checked against its resource type's declared parameters."""

    values: dict[str, list[str]]  # declared parameters only, each repetition one entry (AND)
    count: int
    offset: int
    includes: list[str]
    ignored: list[str] = field(default_factory=list)
    base_url: str = ""

    def one(self, name: str) -> str | None:
        """The single value of a parameter given at most once (comma lists are the caller's)."""
        values = self.values.get(name, [])
        if len(values) > 1:
            raise FhirError(f"Give {name} at most once.", expression=[name])
        return values[0] if values else None

    def any_of(self, name: str) -> list[str] | None:
        """A comma-separated OR list (the FHIR token/reference grammar), or None when absent."""
        raw = self.one(name)
        if raw is None:
            return None
        items = [part.strip() for part in raw.split(",") if part.strip()]
        if not items:
            raise FhirError(f"{name} is empty.", expression=[name])
        return items

    def link(self, offset: int) -> str:
        params = [(name, value) for name, values in self.values.items() for value in values]
        params += [("_include", inc) for inc in self.includes]
        params += [("_count", str(self.count)), ("_offset", str(offset))]
        return f"{self.base_url}?{urlencode(params)}"

    def links(self, *, has_more: bool) -> dict[str, str]:
        links = {"self": self.link(self.offset)}
        if has_more:
            links["next"] = self.link(self.offset + self.count)
        if self.offset > 0:
            links["previous"] = self.link(max(0, self.offset - self.count))
        return links

    def outcome(self) -> dict | None:
        if not self.ignored:
            return None
        return operation_outcome(
            f"Unknown or unsupported search parameters were ignored: {', '.join(sorted(self.ignored))}.",
            issue="not-supported",
            severity="warning",
            expression=sorted(self.ignored),
        )


def _int(name: str, raw: str, lo: int, hi: int) -> int:
    if not (raw.isascii() and raw.isdigit()):
        raise FhirError(f"{name} must be a whole number.", expression=[name])
    value = int(raw)
    if not lo <= value <= hi:
        raise FhirError(f"{name} must be from {lo} to {hi}.", expression=[name])
    return value


def strict_handling(request) -> bool:
    prefer = request.headers.get("Prefer", "")
    return any(part.strip().replace(" ", "") == "handling=strict" for part in prefer.split(";") + prefer.split(","))


def parse_query(request, params: dict[str, Param], includes: tuple[str, ...] = ()) -> Query:
    values: dict[str, list[str]] = {}
    ignored = []
    for name, raw_values in request.query_params.lists():
        if name in params:
            values[name] = raw_values
        elif name not in GLOBAL_PARAMS or (name == "_include" and not includes):
            ignored.append(name)
    if ignored and strict_handling(request):
        raise FhirError(f"Unknown or unsupported search parameters: {', '.join(sorted(ignored))}.", expression=sorted(ignored))
    count_raw = request.query_params.getlist("_count")
    offset_raw = request.query_params.getlist("_offset")
    count = _int("_count", count_raw[-1], 0, MAX_COUNT) if count_raw else DEFAULT_COUNT
    offset = _int("_offset", offset_raw[-1], 0, MAX_OFFSET) if offset_raw else 0
    wanted = request.query_params.getlist("_include") if includes else []
    for include in wanted:
        if include not in includes:
            raise FhirError(f"Unsupported _include {include!r}; supported: {', '.join(includes)}.", expression=["_include"])
    base = request.build_absolute_uri(request.path)
    return Query(values=values, count=count, offset=offset, includes=wanted, ignored=ignored, base_url=base)


# --- value grammar ----------------------------------------------------------------------------


def token(raw: str) -> tuple[str | None, str]:
    """`system|code` or `code` → (system or None, code)."""
    if "|" in raw:
        system, _, code = raw.partition("|")
        return system or None, code
    return None, raw


def reference(name: str, raw: str, resource_type: str) -> str:
    """`Type/id`, a full URL ending in it, or a bare id → the id, checked against the FHIR id syntax."""
    text = raw.rstrip("/")
    if "/" in text:
        *_, kind, ident = text.split("/")
        if kind != resource_type:
            raise FhirError(f"{name} must refer to a {resource_type}.", expression=[name])
    else:
        ident = text
    if not ID_PATTERN.match(ident):
        raise FhirError(f"{name}: {ident[:70]!r} is not a valid id.", expression=[name])
    return ident


def int_id(name: str, ident: str, prefix: str = "") -> int:
    """Our numeric ids (optionally `prefix-<n>`); anything else is a 400 for a search value."""
    if prefix:
        if not ident.startswith(prefix):
            raise FhirError(f"{name}: expected an id like {prefix}12.", expression=[name])
        ident = ident[len(prefix) :]
    if not (ident.isascii() and ident.isdigit()) or len(ident) > 12:
        raise FhirError(f"{name}: {ident[:70]!r} is not one of our ids.", expression=[name])
    return int(ident)


_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


def date_range(name: str, text: str) -> tuple[datetime, datetime]:
    """A FHIR date or dateTime as the half-open UTC range it denotes. Days are days of the
    clinic's default zone; a time must carry its offset."""
    zone = timezone.get_default_timezone()
    try:
        if m := _PARTIAL.match(text):
            year, month = int(m.group(1)), int(m.group(2) or 0)
            _year_check(name, year)
            if month:
                if not 1 <= month <= 12:
                    raise ValueError
                lo_day = datetime(year, month, 1)
                hi_day = lo_day + timedelta(days=calendar.monthrange(year, month)[1])
            else:
                lo_day, hi_day = datetime(year, 1, 1), datetime(year + 1, 1, 1)
            return lo_day.replace(tzinfo=zone).astimezone(UTC), hi_day.replace(tzinfo=zone).astimezone(UTC)
        if "T" not in text:
            day = parse_date(text)
            if day is None:
                raise ValueError
            _year_check(name, day.year)
            lo = datetime.combine(day, time(), zone)
            return lo.astimezone(UTC), datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
        moment = parse_datetime(text)
        if moment is None:
            raise ValueError
    except (ValueError, OverflowError):
        raise FhirError(
            f"{name}: {text[:70]!r} is not a FHIR date or dateTime (e.g. 2026-03-02 or 2026-03-02T09:00:00-05:00).", expression=[name]
        ) from None
    if moment.tzinfo is None:
        raise FhirError(f"{name}: a time needs its UTC offset, e.g. 2026-03-02T09:00:00-05:00.", expression=[name])
    _year_check(name, moment.year)
    moment = moment.astimezone(UTC)
    return moment, moment + timedelta(seconds=1)


def _year_check(name: str, year: int) -> None:
    if not YEARS[0] <= year <= YEARS[1]:
        raise FhirError(f"{name}: use a year from {YEARS[0]} to {YEARS[1]}.", expression=[name])


@dataclass(frozen=True)
class DateBound:
    """One `date`/`start` value: [lo, hi) after its prefix, as ORM-ready bounds."""

    gte: datetime | None = None
    lt: datetime | None = None


def date_bound(name: str, raw: str) -> DateBound:
    prefix = raw[:2] if raw[:2] in PREFIXES else "eq"
    text = raw[2:] if raw[:2] in PREFIXES else raw
    lo, hi = date_range(name, text)
    match prefix:
        case "eq":
            return DateBound(gte=lo, lt=hi)
        case "ge":
            return DateBound(gte=lo)
        case "gt" | "sa":
            return DateBound(gte=hi)
        case "lt" | "eb":
            return DateBound(lt=lo)
        case "le":
            return DateBound(lt=hi)
    raise FhirError(f"{name}: the prefix {prefix!r} is not supported (use eq, ge, gt, le or lt).", expression=[name])


def date_bounds(query: Query, name: str) -> tuple[datetime | None, datetime | None]:
    """Every value of a date parameter ANDed into one [lo, hi)."""
    lo = hi = None
    for raw in query.values.get(name, []):
        bound = date_bound(name, raw)
        if bound.gte is not None:
            lo = bound.gte if lo is None else max(lo, bound.gte)
        if bound.lt is not None:
            hi = bound.lt if hi is None else min(hi, bound.lt)
    return lo, hi


def boolean(name: str, raw: str) -> bool:
    if raw not in ("true", "false"):
        raise FhirError(f"{name} must be true or false.", expression=[name])
    return raw == "true"
