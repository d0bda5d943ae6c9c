"""Settings refuse what they cannot use, and say which `TRACKGUARD_*` variable is wrong
without showing a secret's value."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from trackguard.errors import ConfigurationError
from trackguard.settings import Settings, environment_error, is_secret


@pytest.mark.parametrize("name", ["UTC", "Europe/Amsterdam", "America/New_York", "Etc/GMT-14"])
def test_iana_zone_names_are_accepted(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKGUARD_PORTAL_TIMEZONE", name)
    assert Settings().portal_timezone == ZoneInfo(name)


@pytest.mark.parametrize(
    "name",
    [
        "localtime",  # this machine's /etc/localtime, whatever zone that is
        "Factory",  # the placeholder zone of a system whose zone was never set
        "posix/Europe/Amsterdam",  # files beside the zones, not names of the database
        "right/UTC",
        "posixrules",
        "Europe/amsterdam",
        "zone.tab",
        " UTC",
    ],
)
def test_other_files_of_the_zone_directories_are_refused(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKGUARD_PORTAL_TIMEZONE", name)
    with pytest.raises(ValidationError) as refused:
        Settings()
    assert str(environment_error(refused.value)) == (
        f"TRACKGUARD_PORTAL_TIMEZONE={name!r}: invalid timezone, "
        "not an IANA time zone name such as Europe/Amsterdam or UTC"
    )


def test_a_zone_object_for_localtime_is_refused_too() -> None:
    with pytest.raises(ValidationError):
        Settings(portal_timezone=ZoneInfo("localtime"))


def test_a_bad_value_is_named_by_its_variable_with_the_value_and_the_problem(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRACKGUARD_WEB_PORT", "70000")
    monkeypatch.setenv("TRACKGUARD_FILTER_ZERO", "maybe")
    monkeypatch.setenv("TRACKGUARD_PUBLIC_URL", "track.example.nl")
    with pytest.raises(ValidationError) as refused:
        Settings()
    error = environment_error(refused.value)
    assert isinstance(error, ConfigurationError)
    assert str(error).split("; ") == [
        "TRACKGUARD_WEB_PORT='70000': input should be less than or equal to 65535",
        "TRACKGUARD_PUBLIC_URL='track.example.nl': "
        "should be an http:// or https:// address, e.g. https://track.example.nl",
        "TRACKGUARD_FILTER_ZERO='maybe': input should be a valid boolean, "
        "unable to interpret input",
    ]


def test_a_long_value_is_shortened() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(web_port="9" * 500)
    message = str(environment_error(refused.value))
    assert message.startswith("TRACKGUARD_WEB_PORT='9999")
    assert len(message) < 150


def test_passwords_and_urls_that_may_hold_one_are_secret() -> None:
    assert is_secret("smtp_password")
    assert is_secret("database_url") and is_secret("mqtt_url")
    assert not is_secret("web_port") and not is_secret("portal_timezone")


def test_a_secrets_value_is_never_shown_only_its_variable() -> None:
    # No secret setting can be refused today (any text is a password); the explanation
    # must still hold back its value should one ever be.
    refused = ValidationError.from_exception_data(
        "Settings",
        [
            {
                "type": "string_too_short",
                "loc": ("smtp_password",),
                "input": "hunter2",
                "ctx": {"min_length": 12},
            }
        ],
    )
    message = str(environment_error(refused))
    assert message.startswith("TRACKGUARD_SMTP_PASSWORD (value not shown): ")
    assert "hunter2" not in message
