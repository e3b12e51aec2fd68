"""A Team profile's database connection: libpq settings (never a password), the TLS rule, and the conninfo.

:class:`TeamConnection` holds what a Team profile saves: host, port, database, login and the TLS settings.
:func:`check_team_connection` is the rule a team desk will not break: ``sslmode=verify-full`` (the server's
certificate signed by a trusted authority *and* naming the host) unless every host is on this computer —
``localhost``, 127.0.0.0/8, ``::1`` — or a unix socket (a host starting with ``/``, or no host). No name is
looked up: a name that merely resolves to 127.0.0.1 is not loopback, so a poisoned resolver cannot lower the
bar. A ``hostaddr`` is where libpq really dials (the host is then only the name checked in the certificate),
so a loopback host with a remote hostaddr is remote. What a conninfo leaves out is libpq's default, which
``PGHOST``/``PGHOSTADDR``/``PGSSLMODE``/``PGSERVICE`` can point elsewhere: the rule checks what those give
(:func:`libpq_defaults`; a service file is not read here, so a service that may set the host is refused,
saying so). The same rule applies to a plain conninfo (``payout-desk --team``, the agent's ``--db``):
:func:`check_team_connection` takes either.

A password never lives in a saved connection: :meth:`TeamConnection.from_conninfo` refuses one ("passwords
live in the keychain"); :meth:`TeamConnection.conninfo` adds one, read from the keychain, at connect time only.
Only the libpq keywords in :data:`KEYWORDS` are accepted: ``service`` and ``passfile`` (settings and secrets
from files this rule cannot see) and anything that would switch TLS off some other way are refused by name.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, Final

import psycopg

from payout_desk.journal.models import JournalError

__all__ = [
    "KEYWORDS",
    "SSLMODES",
    "TeamConnection",
    "TeamRefusedError",
    "check_team_connection",
    "effective_hosts",
    "is_local_host",
    "libpq_defaults",
]

#: libpq's sslmode values, weakest first.
SSLMODES: Final = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
_TEXT_FIELDS: Final = ("host", "dbname", "user", "sslmode", "sslrootcert", "sslcert", "sslkey", "application_name")
#: The libpq keywords a Team profile accepts (each a field of TeamConnection).
KEYWORDS: Final = frozenset({*_TEXT_FIELDS, "port", "connect_timeout"})
_PASSWORD_KEYS: Final = frozenset({"password", "sslpassword"})
_KEYCHAIN_RULE: Final = (
    "passwords live in the keychain, not in a saved connection: remove it from the text and type it in the "
    "Password field"
)


class TeamRefusedError(JournalError):
    """A team database a desk did not open, for an expected reason said in words (the sslmode rule, a login
    with no desk role, a wrong login or password, a server not reached): never a traceback. ``in_settings``
    when the fix is in Settings (the active Team profile); otherwise the desk offers Try again."""

    def __init__(self, message: str, *, in_settings: bool = False) -> None:
        super().__init__(message)
        self.in_settings = in_settings


def is_local_host(host: str) -> bool:
    """True for a unix socket (a path, or no host) and for loopback: ``localhost``, 127.0.0.0/8, ``::1``."""
    host = host.strip()
    if not host or host.startswith(("/", "@")):  # '@': a Linux abstract socket
        return True
    name = host.lower().rstrip(".")
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _split_hosts(text: str) -> list[str]:
    return [h.strip() for h in text.split(",")] if text.strip() else []


def libpq_defaults(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """What libpq uses for a keyword a conninfo leaves out: its environment variable (libpq's own table,
    ``PQconndefaults``) in ``environ`` (this process's environment by default), else its compiled-in default.
    A service file is not read here: :func:`check_team_connection` treats what it could set as unknown."""
    env = os.environ if environ is None else environ
    out: dict[str, str] = {}
    for option in psycopg.pq.Conninfo.get_defaults():
        key = option.keyword.decode()
        variable = option.envvar.decode() if option.envvar else ""
        if variable and env.get(variable, "") != "":
            out[key] = env[variable]
        elif option.compiled is not None:
            out[key] = option.compiled.decode()
    return out


@dataclass(frozen=True)
class _Target:
    """One place libpq may connect to, and where that came from (for the refusal's words)."""

    address: str
    source: str  # "" (the connection string), "hostaddr", "environment" or "service"


def _targets(given: Mapping[str, str], environ: Mapping[str, str] | None) -> list[_Target]:
    """Where libpq may connect for ``given`` (libpq keywords): per host of a list, its ``hostaddr`` when set
    (libpq dials that address; the host name is then only checked against the certificate), else the host."""
    env = os.environ if environ is None else environ
    defaults = libpq_defaults(env)
    service = given.get("service", "") or env.get("PGSERVICE", "")

    def values(key: str) -> tuple[list[str], str]:
        if given.get(key, ""):
            return _split_hosts(given[key]), ""
        if service:  # the service file may set it: unknown here, so never counted as local
            return [f"(the {key} of the service “{service}”, from PGSERVICE or service=)"], "service"
        return _split_hosts(defaults.get(key, "")), "environment"

    hosts, host_source = values("host")
    addresses, address_source = values("hostaddr")
    found: list[_Target] = []
    for i in range(max(len(hosts), len(addresses), 1)):
        address = addresses[i] if i < len(addresses) else ""
        if address:
            found.append(_Target(address, "hostaddr" if address_source == "" else address_source))
        else:
            found.append(_Target(hosts[i] if i < len(hosts) else "", host_source))
    return found


def effective_hosts(tc: TeamConnection, environ: Mapping[str, str] | None = None) -> list[str]:
    """Where libpq may connect for ``tc``: the saved hosts (or, none saved, ``PGHOST``; "" is libpq's own unix
    socket), ``PGHOSTADDR`` in place of a host when set, and ``PGSERVICE``'s unknown host.
    ``environ`` defaults to this process's environment."""
    return [target.address for target in _targets({k: str(v) for k, v in tc.params().items()}, environ)]


@dataclass(frozen=True)
class TeamConnection:
    """The libpq settings of a Team profile. An empty text means "libpq's default"; ``port`` None is 5432."""

    host: str = ""
    port: int | None = None
    dbname: str = ""
    user: str = ""
    sslmode: str = "verify-full"
    sslrootcert: str = ""
    sslcert: str = ""
    sslkey: str = ""
    application_name: str = "Payout Desk"
    connect_timeout: int = 10

    def __post_init__(self) -> None:
        for name in _TEXT_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, str):
                raise ValueError(f"{name}: must be text")
            object.__setattr__(self, name, value.strip())
        if self.port is not None and (isinstance(self.port, bool) or not isinstance(self.port, int)):
            raise ValueError("port: must be a whole number")
        if isinstance(self.connect_timeout, bool) or not isinstance(self.connect_timeout, int):
            raise ValueError("connect_timeout: must be a whole number of seconds")

    # -- text forms ---------------------------------------------------------------------------------

    def params(self) -> dict[str, str | int]:
        """The libpq keywords set (empty texts left out, so libpq's defaults apply)."""
        out: dict[str, str | int] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None and value != "":
                out[f.name] = value
        return out

    def conninfo(self, password: str | None = None) -> str:
        """The ``key=value`` connection string, with ``password`` (from the keychain) when given."""
        extra = {"password": password} if password else {}
        return psycopg.conninfo.make_conninfo("", **self.params(), **extra)

    def display(self) -> str:
        """What the person recognises: ``ada@db.example.com:5432/payouts`` (never a password)."""
        host = self.host or "local socket"
        return f"{self.user or '(your login)'}@{host}:{self.port or 5432}/{self.dbname or '(default database)'}"

    @property
    def keychain_account(self) -> str:
        """The keychain entry of this connection's password: one per login, host, port and database."""
        return f"{self.user}@{self.host or 'local socket'}:{self.port or 5432}/{self.dbname}"

    @classmethod
    def from_conninfo(cls, text: str) -> TeamConnection:
        """Read a ``key=value`` string or a ``postgresql://`` URI; ValueError naming the keyword otherwise.
        A password in it is refused: passwords live in the keychain."""
        try:
            given = psycopg.conninfo.conninfo_to_dict(text)
        except psycopg.ProgrammingError as exc:
            raise ValueError(f"not a connection string libpq can read: {str(exc).strip()}") from None
        return cls.from_params(given)

    @classmethod
    def from_params(cls, given: Mapping[str, Any]) -> TeamConnection:
        """From libpq keywords (as ``conninfo_to_dict`` gives them); ValueError naming a refused keyword."""
        for key in given:
            if key in _PASSWORD_KEYS:
                raise ValueError(f"{key}: {_KEYCHAIN_RULE}")
        unknown = sorted(set(given) - KEYWORDS)
        if unknown:
            raise ValueError(
                f"{unknown[0]}: a Team profile does not take this setting (it takes {', '.join(sorted(KEYWORDS))})"
            )
        values: dict[str, Any] = {k: str(v) for k, v in given.items() if k in _TEXT_FIELDS}
        if "port" in given and str(given["port"]).strip():
            values["port"] = _whole(str(given["port"]), "port")
        if "connect_timeout" in given and str(given["connect_timeout"]).strip():
            values["connect_timeout"] = _whole(str(given["connect_timeout"]), "connect_timeout")
        return cls(**values)

    def to_json(self) -> dict[str, str | int]:
        """The settings file's form: the libpq keywords set (never a password)."""
        return self.params()

    @classmethod
    def from_json(cls, data: object) -> TeamConnection:
        """From :meth:`to_json`'s object; ValueError if it is not usable."""
        if not isinstance(data, dict):
            raise ValueError("a team connection must be an object of libpq settings")
        return cls.from_params(data)

    def with_changes(self, **changes: Any) -> TeamConnection:
        """A copy with ``changes`` (``dataclasses.replace``)."""
        return replace(self, **changes)


def _whole(text: str, name: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError(f"{name}: {text!r} is not a whole number") from None


def check_team_connection(tc: TeamConnection | str, environ: Mapping[str, str] | None = None) -> None:
    """None when ``tc`` may be used; ValueError whose message starts with the field and states the rule.

    ``tc`` is a Team profile's settings or a plain conninfo (``--team``, the agent's ``--db``: a ``key=value``
    string or a URI, read by libpq's own parser). The sslmode rule is the same for both and looks at what libpq
    would do: the sslmode and hosts given, else their environment defaults (``PGSSLMODE``, ``PGHOST``,
    ``PGHOSTADDR``; a service's are unknown, so never local), each host's ``hostaddr``, every host of a list.
    Nothing is looked up or dialled."""
    if isinstance(tc, str):
        try:
            given = psycopg.conninfo.conninfo_to_dict(tc)
        except psycopg.ProgrammingError as exc:
            raise ValueError(f"not a connection string libpq can read: {str(exc).strip()}") from None
        _check_transport({k: str(v) for k, v in given.items() if v is not None}, environ)
        return
    if not tc.dbname:
        raise ValueError("dbname: enter the team database's name")
    if not tc.user:
        raise ValueError("user: enter your database login (your own, not a shared one)")
    if tc.port is not None and not 1 <= tc.port <= 65535:
        raise ValueError(f"port: {tc.port} is not a port number (1 to 65535; the usual one is 5432)")
    if tc.connect_timeout < 2:
        raise ValueError("connect_timeout: use at least 2 seconds (libpq reads less as no limit or too short)")
    if tc.sslmode not in SSLMODES:
        raise ValueError(f"sslmode: {tc.sslmode!r} is not a libpq sslmode ({', '.join(SSLMODES)})")
    _check_transport({k: str(v) for k, v in tc.params().items()}, environ)
    if bool(tc.sslcert) != bool(tc.sslkey):
        missing = "sslkey" if tc.sslcert else "sslcert"
        raise ValueError(f"{missing}: a client certificate needs both sslcert and sslkey")


def _service_words(given: Mapping[str, str], env: Mapping[str, str]) -> str:
    """The refusal of a service entry whose settings decide where libpq connects (second audit N10): the service
    file is not read (no well-kept library reads it as libpq does), so say that, not that the host is remote."""
    if given.get("service"):
        return (
            f"service: a service entry (service={given['service']}) is not checked by Payout Desk: give host=… "
            "and sslmode=verify-full, or a unix socket directory (host=/…), in the connection string instead"
        )
    return (
        f"PGSERVICE: a service entry (PGSERVICE={env.get('PGSERVICE', '')} in the environment) is not checked by "
        "Payout Desk: unset PGSERVICE and give host=… and sslmode=verify-full, or a unix socket directory "
        "(host=/…), in the connection string"
    )


_WHERE: Final = {"": "", "hostaddr": " (its hostaddr)", "environment": " (from the environment)"}


def _check_transport(given: Mapping[str, str], environ: Mapping[str, str] | None) -> None:
    """The rule: sslmode=verify-full unless every place libpq may connect to is loopback or a unix socket."""
    env = os.environ if environ is None else environ
    sslmode, said = given.get("sslmode", ""), ""
    if not sslmode and (given.get("service") or env.get("PGSERVICE")):
        sslmode = "the sslmode a service file sets"  # unknown here: never taken for verify-full
    elif not sslmode:
        sslmode = libpq_defaults(env).get("sslmode", "prefer")
        said = " (from PGSSLMODE)" if env.get("PGSSLMODE") else " (libpq's default)"
        if sslmode not in SSLMODES:
            raise ValueError(f"sslmode: {sslmode!r}{said} is not a libpq sslmode ({', '.join(SSLMODES)})")
    elif sslmode not in SSLMODES:
        raise ValueError(f"sslmode: {sslmode!r} is not a libpq sslmode ({', '.join(SSLMODES)})")
    if sslmode == "verify-full":
        return
    for target in _targets(given, env):
        if target.source == "service":
            raise ValueError(_service_words(given, env))
        if is_local_host(target.address):
            continue
        raise ValueError(
            f"sslmode: must be verify-full, because the host {target.address}{_WHERE[target.source]} is not on "
            f"this computer — only a loopback address (localhost, 127.0.0.0/8, ::1) or a unix socket may use "
            f"{sslmode}{said}"
        )
