"""Steward sign-in: accounts from a secrets mapping, argon2 password hashes, rate-limited failed
sign-ins and expiring sessions.

Nothing here imports Streamlit: the UI passes ``st.secrets`` in as a plain mapping. Accounts are
defined in the deployment's secrets (``.streamlit/secrets.toml``)::

    [stewards]
    amina = "$argon2id$v=19$m=65536,t=3,p=4$..."   # python -m mineralmap hash-password

Every write function of :mod:`mineralmap.store` takes a :class:`StewardSession`. A session is
issued only by :meth:`Authenticator.sign_in` (password), :func:`oidc_session` (a provider sign-in
whose e-mail is listed in ``[stewards_oidc]``) or :func:`cli_session` (the command line, which runs
with the rights of whoever can run it on the server); it cannot be built from URL parameters or
widget values, and it expires.

Failed sign-ins are counted from the store's audit log (so the limit holds across browser
sessions, app processes and restarts): after :attr:`Policy.max_failures` failures for a user name
within :attr:`Policy.window_s` seconds, that name is locked for :attr:`Policy.lockout_s` seconds.
"""

from __future__ import annotations

import dataclasses
import functools
import secrets as _secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from mineralmap._lazy import argon2, argon2_exceptions
from mineralmap.errors import MineralmapError

#: Secrets section of password accounts (user name -> argon2 hash).
SECRETS_SECTION = "stewards"
#: Secrets section of e-mail addresses allowed to steward after an ``st.login`` (OIDC) sign-in:
#: ``[stewards_oidc]`` with ``emails = ["a@boi.gov.pk", ...]``.
OIDC_SECTION = "stewards_oidc"
#: Longest accepted password (argon2 handles any length; this bounds CPU per attempt).
MAX_PASSWORD_CHARS = 1024
#: Shortest password :func:`hash_password` accepts.
MIN_PASSWORD_CHARS = 10
#: Longest user name.
MAX_USERNAME_CHARS = 64

@functools.cache
def _hasher() -> argon2.PasswordHasher:
    """The argon2 hasher (argon2 is imported on first use, not with the package)."""
    return argon2.PasswordHasher()


@functools.cache
def _dummy_hash(params: tuple[object, ...] | None = None) -> str:
    """Hash verified against when the user name is unknown, so that both cases cost the same time.

    ``params``: the fields of the :class:`argon2.Parameters` to hash with (see
    :func:`_dummy_for`); default :func:`hash_password`'s. Made on first use (an argon2 hash costs
    ~0.25 s; importing the module should not), once per parameter set.
    """
    hasher = _hasher() if params is None else \
        argon2.PasswordHasher.from_parameters(argon2.Parameters(*params))
    return hasher.hash(_secrets.token_hex(16))


def _dummy_for(accounts: Mapping[str, str]) -> str:
    """The dummy hash for an unknown user name, with the cost parameters of the configured
    accounts' hashes (the costliest, when they differ): a wrong name then takes as long as a
    wrong password even when the accounts were hashed with other than today's parameters."""
    best = None
    for stored in accounts.values():
        try:
            p = argon2.extract_parameters(stored)
        except (argon2_exceptions.InvalidHashError, ValueError, TypeError):
            continue
        if best is None or (p.memory_cost * p.time_cost, p.parallelism) > \
                (best.memory_cost * best.time_cost, best.parallelism):
            best = p
    return _dummy_hash(None if best is None else dataclasses.astuple(best))


#: Capability that only this module holds: a StewardSession needs it to be constructed.
_ISSUER = object()


class AuthError(MineralmapError):
    """Sign-in refused, session missing or expired, or an account definition is unusable."""


@dataclass(frozen=True)
class Policy:
    """Rate limit and session lifetime.

    Attributes
    ----------
    max_failures : int
        Failed sign-ins for one user name within ``window_s`` that lock it.
    window_s : float
        Counting window in seconds.
    lockout_s : float
        How long a locked name stays locked after its last failure (seconds).
    session_ttl_s : float
        Lifetime of a session in seconds (absolute, from sign-in).
    """

    max_failures: int = 5
    window_s: float = 15 * 60
    lockout_s: float = 15 * 60
    session_ttl_s: float = 8 * 3600


@dataclass(frozen=True)
class StewardSession:
    """Proof that a steward signed in; required by every write function of the store.

    Built only by this module (the constructor demands a private capability). Check it with
    :func:`require_session` before any write.

    Attributes
    ----------
    username : str
        Acting steward (written into versions and the audit log).
    method : str
        ``"password"``, ``"oidc"`` or ``"cli"``.
    issued_at, expires_at : float
        Unix times.
    """

    username: str
    method: str
    issued_at: float
    expires_at: float
    _token: str = field(repr=False, compare=False, default="")
    _issuer: object = field(repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        if self._issuer is not _ISSUER:
            raise AuthError("a steward session is issued only by signing in")

    def expired(self, now: float | None = None) -> bool:
        """True when the session's lifetime is over."""
        return (time.time() if now is None else now) >= self.expires_at


def _issue(username: str, method: str, ttl_s: float, now: float) -> StewardSession:
    return StewardSession(username=username, method=method, issued_at=now, expires_at=now + ttl_s,
                          _token=_secrets.token_urlsafe(16), _issuer=_ISSUER)


def require_session(session: object, now: float | None = None) -> StewardSession:
    """Return ``session`` if it is a live steward session, else raise :class:`AuthError`.

    Parameters
    ----------
    session : object
        What the caller passed as its steward session.
    now : float, optional
        Current Unix time (tests).

    Raises
    ------
    AuthError
        Not a :class:`StewardSession` (e.g. ``None``, a string from a URL) or expired.
    """
    if not isinstance(session, StewardSession) or session._issuer is not _ISSUER:
        raise AuthError("only a signed-in steward can change the data; sign in first")
    if session.expired(now):
        raise AuthError("your steward session has expired; sign in again")
    return session


def hash_password(password: str) -> str:
    """Return an argon2id hash of ``password`` for the ``[stewards]`` secrets section.

    Raises
    ------
    AuthError
        Shorter than :data:`MIN_PASSWORD_CHARS` or longer than :data:`MAX_PASSWORD_CHARS`.
    """
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_CHARS:
        raise AuthError(f"a steward password needs at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise AuthError(f"a steward password has at most {MAX_PASSWORD_CHARS} characters")
    return _hasher().hash(password)


def _valid_username(name: object) -> bool:
    return (isinstance(name, str) and 0 < len(name) <= MAX_USERNAME_CHARS
            and all(c.isalnum() or c in "._-@" for c in name))


def accounts_from_secrets(secrets: Mapping[str, object]) -> dict[str, str]:
    """Read ``[stewards]`` (user name -> argon2 hash) from a secrets mapping.

    Parameters
    ----------
    secrets : Mapping
        ``st.secrets`` or any mapping with the same layout.

    Returns
    -------
    dict
        User name -> hash; empty when the section is absent.

    Raises
    ------
    AuthError
        A user name is not ``[A-Za-z0-9._-@]{1,64}`` or a value is not an argon2 hash (e.g. a
        plain-text password). The message names the user, never the value.
    """
    try:
        section = secrets.get(SECRETS_SECTION) if hasattr(secrets, "get") else None
    except Exception:  # noqa: BLE001 - st.secrets raises when no secrets file exists
        section = None
    if not section:
        return {}
    if not isinstance(section, Mapping):
        raise AuthError(f"secrets: [{SECRETS_SECTION}] must be a table of user = \"hash\"")
    out: dict[str, str] = {}
    for user, value in section.items():
        if not _valid_username(user):
            raise AuthError(f"secrets: steward name {str(user)[:64]!r} is not allowed "
                            "(letters, digits, . _ - @; at most 64 characters)")
        if not isinstance(value, str) or not value.startswith("$argon2"):
            raise AuthError(f"secrets: the entry for steward {user!r} is not an argon2 hash; "
                            "create one with `python -m mineralmap hash-password`")
        out[str(user)] = value
    return out


def oidc_emails(secrets: Mapping[str, object]) -> frozenset[str]:
    """E-mail addresses (lower case) allowed to steward after an OIDC sign-in."""
    try:
        section = secrets.get(OIDC_SECTION) if hasattr(secrets, "get") else None
    except Exception:  # noqa: BLE001 - st.secrets raises when no secrets file exists
        section = None
    if not isinstance(section, Mapping):
        return frozenset()
    emails = section.get("emails", ())
    if isinstance(emails, str) or not hasattr(emails, "__iter__"):
        return frozenset()
    return frozenset(str(e).strip().lower() for e in emails if str(e).strip())


class AuditSink(Protocol):
    """What the authenticator needs from a store: record sign-in events, count failures."""

    def record_auth_event(self, event: str, username: str, detail: str = "") -> None: ...

    def failed_sign_ins(self, username: str, since: float) -> list[float]: ...


class Authenticator:
    """Password sign-in against the ``[stewards]`` accounts, with a rate limit.

    Parameters
    ----------
    accounts : Mapping[str, str]
        User name -> argon2 hash (see :func:`accounts_from_secrets`).
    audit : AuditSink
        Where sign-ins and failures are recorded and counted (the store).
    policy : Policy, optional
    clock : callable, optional
        Returns the current Unix time (tests).
    """

    def __init__(self, accounts: Mapping[str, str], audit: AuditSink,
                 policy: Policy | None = None, clock: Callable[[], float] = time.time) -> None:
        self._accounts = dict(accounts)
        self._audit = audit
        self.policy = policy or Policy()
        self._clock = clock

    @property
    def has_accounts(self) -> bool:
        """True when at least one password account is configured."""
        return bool(self._accounts)

    def locked_for(self, username: str) -> float:
        """Seconds until ``username`` may try again (0 when not locked)."""
        now = self._clock()
        p = self.policy
        fails = self._audit.failed_sign_ins(username, now - max(p.window_s, p.lockout_s))
        recent = [t for t in fails if t >= now - p.window_s]
        if len(recent) < p.max_failures:
            return 0.0
        return max(0.0, max(fails) + p.lockout_s - now)

    def sign_in(self, username: str, password: str) -> StewardSession:
        """Check a user name and password; return a session or raise.

        Raises
        ------
        AuthError
            Locked after too many failures ("try again in N minutes"), or wrong user name or
            password (one message for both, so names cannot be probed).
        """
        name = username.strip() if isinstance(username, str) else ""
        label = name if _valid_username(name) else "(invalid name)"
        wait = self.locked_for(label)
        if wait > 0:
            self._audit.record_auth_event("sign-in refused (locked)", label)
            raise AuthError("too many failed sign-ins for this name; try again in "
                            f"{max(1, round(wait / 60))} minute(s)")
        stored = self._accounts.get(name) if label == name else None
        ok = False
        if isinstance(password, str) and 0 < len(password) <= MAX_PASSWORD_CHARS:
            try:
                ok = _hasher().verify(stored or _dummy_for(self._accounts), password) \
                    and stored is not None
            except (argon2_exceptions.VerifyMismatchError, argon2_exceptions.VerificationError,
                    argon2_exceptions.InvalidHashError):
                ok = False
        if not ok:
            self._audit.record_auth_event("failed sign-in", label)
            raise AuthError("wrong user name or password")
        self._audit.record_auth_event("sign-in", name, "password")
        return _issue(name, "password", self.policy.session_ttl_s, self._clock())


def oidc_session(email: str, allowed: frozenset[str], audit: AuditSink,
                 policy: Policy | None = None, now: float | None = None) -> StewardSession:
    """Issue a session to an identity-provider user (``st.user.email``) listed as a steward.

    Raises
    ------
    AuthError
        The e-mail is not in ``[stewards_oidc] emails``.
    """
    mail = str(email or "").strip().lower()
    if not mail or mail not in allowed:
        audit.record_auth_event("failed sign-in", mail[:MAX_USERNAME_CHARS] or "(no e-mail)",
                                "oidc: not a steward")
        raise AuthError("your account is signed in but is not a data steward")
    audit.record_auth_event("sign-in", mail, "oidc")
    ttl = (policy or Policy()).session_ttl_s
    return _issue(mail, "oidc", ttl, time.time() if now is None else now)


def cli_session(username: str, accounts: Mapping[str, str] | None = None,
                ttl_s: float = 3600.0) -> StewardSession:
    """A session for the command line's ``--as STEWARD`` flag.

    The CLI runs with the rights of whoever can run it on the server (they can also edit the
    database file); the flag names the acting steward for the version record and audit log.
    When ``accounts`` is non-empty the name must be one of them.

    Raises
    ------
    AuthError
        Empty or malformed name, or a name that is not a configured steward.
    """
    name = str(username or "").strip()
    if not _valid_username(name):
        raise AuthError("--as needs the acting steward's user name (letters, digits, . _ - @)")
    if accounts and name not in accounts:
        raise AuthError(f"--as {name}: not a steward listed in the secrets' [stewards] section")
    return _issue(name, "cli", ttl_s, time.time())


__all__ = [
    "AuthError", "Authenticator", "AuditSink", "MAX_PASSWORD_CHARS", "MIN_PASSWORD_CHARS",
    "OIDC_SECTION", "Policy", "SECRETS_SECTION", "StewardSession", "accounts_from_secrets",
    "cli_session", "hash_password", "oidc_emails", "oidc_session", "require_session",
]
