"""The development-only second-factor code (core.devices), importable without Django so that
`make run`'s banner can print it. It verifies nowhere APP_ENV=production."""

DEVELOPMENT_OTP_CODE = "246810"
