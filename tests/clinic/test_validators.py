import pytest
from django.core.exceptions import ValidationError

from clinic.demo import make_npi
from clinic.validators import validate_npi, validate_time_zone


def test_known_valid_npi_passes():
    validate_npi("1234567893")  # CMS's worked example


@pytest.mark.parametrize("npi", ["1234567890", "123456789", "12345678931", "12345678a3", ""])
def test_bad_npi_is_refused(npi):
    with pytest.raises(ValidationError):
        validate_npi(npi)


def test_demo_npis_are_valid():
    for seed in range(50):
        validate_npi(make_npi(seed))


def test_time_zone_must_be_iana():
    validate_time_zone("America/New_York")
    with pytest.raises(ValidationError):
        validate_time_zone("Eastern Time")
