"""Steward sign-in: argon2 accounts from secrets, rate limit, expiry, no secret leaks."""

from __future__ import annotations

import logging
import time

import argon2
import pytest

from mineralmap import auth, store
from mineralmap.config import Settings

PASSWORD = "correct horse battery"


class Clock:
    def __init__(self, t: float | None = None) -> None:
        self.t = time.time() if t is None else t

    def __call__(self) -> float:
        return self.t


@pytest.fixture(scope="module")
def hashed() -> str:
    """The steward's argon2id hash with the lowest cost parameters (a verify takes ~1 ms instead
    of ~0.15 s; the parameters travel in the hash). The production parameters of
    auth.hash_password sign in in test_sign_in_issues_a_session_and_records_it."""
    return argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)


@pytest.fixture(scope="module")
def production_hash() -> str:
    """auth.hash_password's own (production) parameters, made once for the module (~0.2 s)."""
    return auth.hash_password(PASSWORD)


@pytest.fixture
def db(tmp_path) -> store.SqliteStore:
    return store.open_store(Settings(cache_dir=tmp_path))


def _authn(db, hashed, clock=None, **policy) -> auth.Authenticator:
    accounts = auth.accounts_from_secrets({"stewards": {"amina": hashed}})
    return auth.Authenticator(accounts, db, auth.Policy(**policy), clock=clock or Clock())


def test_sign_in_issues_a_session_and_records_it(db, production_hash):
    hashed = production_hash  # the production cost parameters
    assert hashed.startswith("$argon2id$") and "m=65536" in hashed
    s = _authn(db, hashed).sign_in("amina", PASSWORD)
    assert s.username == "amina" and s.method == "password"
    assert auth.require_session(s, now=s.issued_at) is s
    log = db.audit_log(s)
    assert list(log["event"]) == ["sign-in"] and list(log["actor"]) == ["amina"]


@pytest.mark.parametrize("user,pw", [("amina", "wrong password!"), ("nobody", PASSWORD),
                                     ("", ""), ("x" * 500, PASSWORD), ("amina", "p" * 5000)])
def test_wrong_credentials_one_message(db, hashed, user, pw):
    with pytest.raises(auth.AuthError, match="^wrong user name or password$"):
        _authn(db, hashed).sign_in(user, pw)


def test_failures_lock_the_name_for_a_while(db, hashed):
    clock = Clock()
    a = _authn(db, hashed, clock, max_failures=3, window_s=60, lockout_s=300)
    for _ in range(3):
        with pytest.raises(auth.AuthError, match="wrong"):
            a.sign_in("amina", "bad password 123")
        clock.t += 1
    with pytest.raises(auth.AuthError, match="too many failed sign-ins"):
        a.sign_in("amina", PASSWORD)  # even the right password is refused while locked
    # the lock is stored in the database: a new authenticator (another process) sees it
    b = _authn(db, hashed, clock, max_failures=3, window_s=60, lockout_s=300)
    assert b.locked_for("amina") > 0
    clock.t += 301
    assert b.sign_in("amina", PASSWORD).username == "amina"
    s = auth.cli_session("auditor", ttl_s=1e6)
    events = list(db.audit_log(s)["event"])
    assert events.count("failed sign-in") == 3 and "sign-in refused (locked)" in events


def test_sessions_expire(db, hashed):
    clock = Clock()
    s = _authn(db, hashed, clock, session_ttl_s=60).sign_in("amina", PASSWORD)
    auth.require_session(s, now=clock.t + 59)
    with pytest.raises(auth.AuthError, match="expired"):
        auth.require_session(s, now=clock.t + 60)


def test_sessions_cannot_be_forged():
    with pytest.raises(auth.AuthError):
        auth.StewardSession("amina", "password", 0.0, 1e12)
    with pytest.raises(auth.AuthError):
        auth.StewardSession("amina", "password", 0.0, 1e12, "tok", object())
    for fake in (None, "amina", {"username": "amina"}, 1):
        with pytest.raises(auth.AuthError):
            auth.require_session(fake)


def test_secrets_must_hold_hashes_and_errors_never_show_them():
    with pytest.raises(auth.AuthError) as exc:
        auth.accounts_from_secrets({"stewards": {"amina": "plain-text-secret"}})
    assert "plain-text-secret" not in str(exc.value) and "amina" in str(exc.value)
    with pytest.raises(auth.AuthError):
        auth.accounts_from_secrets({"stewards": {"bad name!": "$argon2id$x"}})
    assert auth.accounts_from_secrets({}) == {}
    assert auth.accounts_from_secrets({"stewards": {}}) == {}


def test_hash_password_rules(production_hash):
    with pytest.raises(auth.AuthError):
        auth.hash_password("short")
    h = production_hash
    assert h.startswith("$argon2id$") and PASSWORD not in h and "horse" not in h


def test_unknown_names_are_checked_against_a_hash_with_the_accounts_parameters(hashed):
    """A wrong user name costs one argon2 verify with the same parameters as a wrong password
    (so names cannot be told apart by timing), whatever parameters the accounts were hashed
    with; with several, the costliest."""
    params = argon2.extract_parameters
    dummy = auth._dummy_for({"amina": hashed})
    assert params(dummy) == params(hashed) and dummy != hashed
    costlier = argon2.PasswordHasher(time_cost=2, memory_cost=16, parallelism=1).hash("x" * 12)
    assert params(auth._dummy_for({"amina": hashed, "bilal": costlier})) == params(costlier)
    assert auth._dummy_for({"amina": hashed}) == dummy  # made once per parameter set


def test_cli_session_needs_a_listed_name(hashed):
    accounts = {"amina": hashed}
    assert auth.cli_session("amina", accounts).method == "cli"
    with pytest.raises(auth.AuthError, match="not a steward"):
        auth.cli_session("mallory", accounts)
    with pytest.raises(auth.AuthError):
        auth.cli_session("", {})
    assert auth.cli_session("anyone", {}).username == "anyone"


def test_oidc_session(db):
    allowed = auth.oidc_emails({"stewards_oidc": {"emails": ["Data.Officer@boi.gov.pk"]}})
    s = auth.oidc_session("data.officer@boi.gov.pk", allowed, db)
    assert s.method == "oidc"
    with pytest.raises(auth.AuthError, match="not a data steward"):
        auth.oidc_session("investor@example.com", allowed, db)
    assert auth.oidc_emails({}) == frozenset()


def test_no_password_or_hash_in_logs_or_audit(db, hashed, caplog):
    caplog.set_level(logging.DEBUG)
    a = _authn(db, hashed)
    with pytest.raises(auth.AuthError) as exc:
        a.sign_in("amina", "leaky-password-123")
    s = a.sign_in("amina", PASSWORD)
    log = db.audit_log(s).to_csv()
    for secret in ("leaky-password-123", PASSWORD, hashed, hashed[30:60]):
        assert secret not in log
        assert secret not in caplog.text
        assert secret not in str(exc.value)
        assert secret not in repr(s)
