"""The push and SMS provider blocks of the settings (QIYOU_APNS_*, QIYOU_JPUSH_*, QIYOU_SMS_*)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from backend.config import Settings, SettingsError

BASE = {"QIYOU_ENV": "test", "QIYOU_JWT_SECRET": "x" * 40, "QIYOU_DATA_KEY": "A" * 43}


def _pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def apns(pem: str) -> dict[str, str]:
    return {
        "QIYOU_APNS_KEY_ID": "ABC123DEFG",
        "QIYOU_APNS_TEAM_ID": "TEAM123456",
        "QIYOU_APNS_TOPIC": "cn.gaozhao.qiyou",
        "QIYOU_APNS_PRIVATE_KEY": pem.replace("\n", "\\n"),
    }


def test_no_block_means_no_provider_but_log_outside_production() -> None:
    settings = Settings.from_env(BASE)
    assert not settings.apns_configured
    assert not settings.jpush_configured
    assert settings.push_provider_available("log")
    assert not settings.push_provider_available("apns")
    assert settings.sms_backend == "console"


def test_a_complete_apns_block_in_one_line() -> None:
    pem = _pem(ec.generate_private_key(ec.SECP256R1()))
    settings = Settings.from_env({**BASE, **apns(pem)})
    assert settings.apns_configured
    assert settings.apns_private_key == pem  # the \\n written in one line are line breaks again
    assert settings.push_provider_available("apns")


@pytest.mark.parametrize(
    "missing",
    ["QIYOU_APNS_KEY_ID", "QIYOU_APNS_TEAM_ID", "QIYOU_APNS_TOPIC", "QIYOU_APNS_PRIVATE_KEY"],
)
def test_a_block_given_in_part_is_refused(missing: str) -> None:
    env = {**BASE, **apns(_pem(ec.generate_private_key(ec.SECP256R1())))}
    del env[missing]
    with pytest.raises(SettingsError, match=missing):
        Settings.from_env(env)


def test_jpush_and_aliyun_blocks_too() -> None:
    with pytest.raises(SettingsError, match="QIYOU_JPUSH_MASTER_SECRET"):
        Settings.from_env({**BASE, "QIYOU_JPUSH_APP_KEY": "k"})
    with pytest.raises(SettingsError, match="QIYOU_SMS_TEMPLATE_CODE"):
        Settings.from_env(
            {
                **BASE,
                "QIYOU_SMS_ACCESS_KEY_ID": "id",
                "QIYOU_SMS_ACCESS_KEY_SECRET": "secret",
                "QIYOU_SMS_SIGN_NAME": "七优",
            }
        )
    with pytest.raises(SettingsError, match="QIYOU_SMS_"):
        Settings.from_env({**BASE, "QIYOU_SMS_PROVIDER": "aliyun"})


def test_a_key_that_is_not_an_apns_key_is_refused_without_showing_it() -> None:
    rsa_pem = _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    with pytest.raises(SettingsError, match="P-256") as refused:
        Settings.from_env({**BASE, **apns(rsa_pem)})
    assert "PRIVATE KEY-----" not in str(refused.value)
    with pytest.raises(SettingsError, match="not a PEM"):
        Settings.from_env({**BASE, **apns("-----BEGIN PRIVATE KEY-----\\nnonsense" + "x" * 40)})


def test_production_takes_no_log_devices_and_no_console_sms() -> None:
    production = {
        **BASE,
        "QIYOU_ENV": "production",
        "QIYOU_DATABASE_URL": "postgresql://db/qiyou",
        "QIYOU_SMS_PROVIDER": "console",
    }
    settings = Settings.from_env(production)
    assert not settings.push_provider_available("log")
    assert settings.sms_backend == "none"  # console is never used in production


def test_a_bad_sms_provider_word_lists_the_allowed_ones() -> None:
    with pytest.raises(SettingsError, match="console, aliyun"):
        Settings.from_env({**BASE, "QIYOU_SMS_PROVIDER": "twilio"})
