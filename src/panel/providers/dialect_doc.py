"""Dialect documents: a provider's own API described in TOML (docs/providers.md), read and
checked once at load into frozen dataclasses that `declared.DeclaredAdapter` speaks."""

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from panel.providers.adapter import OrderState, RefillState, RejectReason

ACTIONS = (
    "services",
    "add",
    "status",
    "status_many",
    "cancel",
    "refill",
    "refill_status",
    "balance",
)
REQUIRED_ACTIONS = ("services", "add", "status", "balance")
CREDENTIALS = ("key", "api_id", "secret")
# What each action may fill in besides the credentials; `add` takes any API v2 order field.
ORDER_FIELDS = (
    "service", "link", "quantity", "runs", "interval", "comments", "usernames", "username",
    "hashtags", "hashtag", "media", "min", "max", "posts", "old_posts", "delay", "expiry",
    "answer_number", "country", "device", "type_of_traffic", "google_keyword", "groups",
)  # fmt: skip
ACTION_FIELDS: Mapping[str, tuple[str, ...]] = {
    "services": (),
    "add": ORDER_FIELDS,
    "status": ("order",),
    "status_many": ("orders",),
    "cancel": ("order",),
    "refill": ("order",),
    "refill_status": ("refill",),
    "balance": (),
}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_BARE = re.compile(r"[a-z0-9_]+")
_KEY = r"""(?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)"""
_KEY_LINE = re.compile(rf"^\s*({_KEY}(?:\s*\.\s*{_KEY})*)\s*=")
_HEADER_LINE = re.compile(rf"^\s*\[\[?\s*({_KEY}(?:\s*\.\s*{_KEY})*)\s*\]\]?")
_KEY_PART = re.compile(_KEY)


class DialectError(ValueError):
    """A document that cannot be spoken, naming the line and the field that is wrong."""

    def __init__(self, line: int, field: str, problem: str) -> None:
        super().__init__(f"line {line}: {field}: {problem}" if field else f"line {line}: {problem}")
        self.line = line
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class Action:
    path: str  # appended to the provider's URL
    fields: tuple[tuple[str, str], ...]  # request field name and its template
    id: str | None = None  # where the new id is in the answer's data (add, refill)


@dataclass(frozen=True)
class ServiceFields:
    id: str
    name: str
    rate: str
    min: str
    max: str
    category: str | None = None
    type: str | None = None
    refill: str | None = None
    cancel: str | None = None
    dripfeed: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class StatusFields:
    state: str
    words: Mapping[str, OrderState]  # keys lower-cased
    id: str = "id"  # of each row in a many-ids answer
    remains: str | None = None
    start_count: str | None = None
    charge: str | None = None


@dataclass(frozen=True)
class RefillStatusFields:
    state: str
    words: Mapping[str, RefillState]


@dataclass(frozen=True)
class Dialect:
    name: str
    method: str  # POST or GET
    encoding: str  # form or json (GET sends a query string)
    auth: tuple[tuple[str, str], ...]
    success: str | None  # where the success marker is; None: an answer without error succeeds
    success_values: tuple[object, ...]
    data: str | None  # where a successful answer keeps its data; None: the whole answer
    error: tuple[str, ...]  # where an error text may be, first found wins
    actions: Mapping[str, Action]
    services: ServiceFields
    status: StatusFields
    refill_status: RefillStatusFields | None
    balance: str
    balance_currency: str | None
    currency: str | None  # of rates and balance when the answers do not say
    reasons: tuple[tuple[str, RejectReason], ...]  # error fragments, lower-cased
    unknown_id: tuple[str, ...]  # error fragments meaning "no such order or refill"
    throttled: tuple[str, ...]

    def has(self, action: str) -> bool:
        return action in self.actions


def shipped_names() -> list[str]:
    folder = resources.files("panel.providers").joinpath("dialects")
    return sorted(
        item.name.removesuffix(".toml") for item in folder.iterdir() if item.name.endswith(".toml")
    )


def shipped(name: str) -> str | None:
    """The text of a shipped document, or None when there is none of that name."""
    if not re.fullmatch(r"[a-z0-9_]+", name):
        return None
    item = resources.files("panel.providers").joinpath("dialects", f"{name}.toml")
    return item.read_text("utf-8") if item.is_file() else None


def resolve(text_or_name: str) -> str:
    """A document's text: the text given, or a shipped document's when given its name."""
    return shipped(text_or_name.strip()) or text_or_name


def load(text: str) -> Dialect:
    """Parse and check a document; raises DialectError naming the line and the field."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        raise DialectError(int(found.group(1)) if found else 1, "", f"not TOML: {exc}") from None
    return _Reader(text, raw).dialect()


class _Reader:
    def __init__(self, text: str, raw: dict[str, Any]) -> None:
        self.lines = text.splitlines()
        self.raw = raw

    # --- errors, located -----------------------------------------------------------------------

    def fail(self, path: tuple[str, ...], problem: str) -> DialectError:
        return DialectError(self._line(path), _shown(path), problem)

    def _line(self, path: tuple[str, ...]) -> int:
        """The line that sets `path`, or the nearest enclosing key or table that does (a table
        made only of sub-tables, such as [actions], is where its first sub-table starts)."""
        best, best_depth, parent_line = 1, 0, 0
        table: tuple[str, ...] = ()
        for number, line in enumerate(self.lines, 1):
            header = _HEADER_LINE.match(line)
            if header:
                table = _parts(header.group(1))
                here = table
            elif key := _KEY_LINE.match(line):
                here = table + _parts(key.group(1))
            else:
                continue
            depth = _common(here, path)
            if depth == len(here) and depth > best_depth:
                best, best_depth = number, depth
                if depth == len(path):
                    break
            if not parent_line and len(path) > 1 and depth >= len(path) - 1:
                parent_line = number
        if best_depth < len(path) - 1 and parent_line:
            return parent_line
        return best

    # --- typed reads -----------------------------------------------------------------------------

    def get(self, path: tuple[str, ...]) -> object:
        value: object = self.raw
        for part in path:
            if not isinstance(value, dict):
                return None
            value = value.get(part)
        return value

    def table(self, path: tuple[str, ...], required: bool = True) -> dict[str, Any] | None:
        value = self.get(path)
        if value is None and not required:
            return None
        if not isinstance(value, dict):
            raise self.fail(path, "missing table" if value is None else "must be a table")
        return value

    def text(self, path: tuple[str, ...], required: bool = True) -> str | None:
        value = self.get(path)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path, "missing" if value is None else "must be a non-empty string")
        return value.strip()

    def choice(self, path: tuple[str, ...], allowed: tuple[str, ...], default: str) -> str:
        value = self.text(path, required=False) or default
        if value not in allowed:
            raise self.fail(path, f'unknown value "{value}"; known: {", ".join(allowed)}')
        return value

    def texts(self, path: tuple[str, ...]) -> tuple[str, ...]:
        value = self.get(path)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(path, "must be a string or a list of strings")
        return tuple(value)

    def only(self, path: tuple[str, ...], known: tuple[str, ...]) -> None:
        table = self.get(path) if path else self.raw
        if isinstance(table, dict):
            for key in table:
                if key not in known:
                    raise self.fail((*path, key), f"unknown field; known: {', '.join(known)}")

    def templates(
        self, path: tuple[str, ...], allowed: tuple[str, ...]
    ) -> tuple[tuple[str, str], ...]:
        table = self.table(path, required=False) or {}
        fields = []
        for name, template in table.items():
            if not isinstance(template, str | int):
                raise self.fail((*path, name), "must be a string")
            for placeholder in _PLACEHOLDER.findall(str(template)):
                if placeholder not in CREDENTIALS + allowed:
                    known = ", ".join("{" + item + "}" for item in CREDENTIALS + allowed)
                    raise self.fail(
                        (*path, name), f'unknown placeholder "{{{placeholder}}}"; known: {known}'
                    )
            fields.append((name, str(template)))
        return tuple(fields)

    def words(
        self, path: tuple[str, ...], enum: type[OrderState] | type[RefillState]
    ) -> dict[str, Any]:
        table = self.table(path) or {}
        known = [state.value for state in enum]
        words: dict[str, Any] = {}
        for word, state in table.items():
            if state not in known:
                raise self.fail(
                    (*path, word), f'unknown state "{state}"; known: {", ".join(known)}'
                )
            words[word.strip().lower()] = enum(state)
        if not words:
            raise self.fail(path, "lists no status words")
        return words

    # --- the document ----------------------------------------------------------------------------

    def dialect(self) -> Dialect:
        self.only((), ("name", "currency", "request", "answer", "actions", "services", "status",
                       "refill_status", "balance", "errors"))  # fmt: skip
        self.only(("request",), ("method", "encoding", "auth"))
        self.only(
            ("answer",), ("success", "success_values", "data", "error", "unknown_id", "throttled")
        )
        method = self.choice(("request", "method"), ("POST", "GET"), "POST")
        encoding = self.choice(("request", "encoding"), ("form", "json"), "form")
        auth = self.templates(("request", "auth"), ())
        if not any("{key}" in template for _, template in auth):
            raise self.fail(("request", "auth"), "must send the {key} placeholder")
        success_values = self.get(("answer", "success_values"))
        if success_values is None:
            success_values = [True]
        if not isinstance(success_values, list) or not success_values:
            raise self.fail(("answer", "success_values"), "must be a non-empty list")
        return Dialect(
            name=self.text(("name",), required=False) or "dialect",
            method=method,
            encoding=encoding,
            auth=auth,
            success=self.text(("answer", "success"), required=False),
            success_values=tuple(success_values),
            data=self.text(("answer", "data"), required=False),
            error=self.texts(("answer", "error")) or ("error",),
            actions=self.actions(),
            services=self.service_fields(),
            status=self.status_fields(),
            refill_status=self.refill_fields(),
            balance=self.text(("balance", "amount")) or "",
            balance_currency=self.text(("balance", "currency"), required=False),
            currency=self.currency(),
            reasons=self.reasons(),
            unknown_id=tuple(t.lower() for t in self.texts(("answer", "unknown_id"))),
            throttled=tuple(t.lower() for t in self.texts(("answer", "throttled"))),
        )

    def actions(self) -> dict[str, Action]:
        self.table(("actions",))
        self.only(("actions",), ACTIONS)
        actions = {}
        for name in ACTIONS:
            path = ("actions", name)
            if self.table(path, required=name in REQUIRED_ACTIONS) is None:
                continue
            self.only(path, ("path", "fields", "id"))
            route = self.text((*path, "path")) or ""
            if not route.startswith("/"):
                raise self.fail((*path, "path"), 'must start with "/"')
            made_id = self.text((*path, "id"), required=name in ("add", "refill"))
            actions[name] = Action(
                route, self.templates((*path, "fields"), ACTION_FIELDS[name]), made_id
            )
        if "refill" in actions and self.get(("refill_status",)) is None:
            raise self.fail(("actions", "refill"), "needs a [refill_status] table")
        return actions

    def service_fields(self) -> ServiceFields:
        names = ("id", "name", "rate", "min", "max", "category", "type", "refill", "cancel",
                 "dripfeed", "description")  # fmt: skip
        self.table(("services",))
        self.only(("services",), names)
        values = {name: self.text(("services", name), required=name in names[:5]) for name in names}
        return ServiceFields(**values)  # type: ignore[arg-type]

    def status_fields(self) -> StatusFields:
        self.table(("status",))
        self.only(("status",), ("state", "words", "id", "remains", "start_count", "charge"))
        return StatusFields(
            state=self.text(("status", "state")) or "",
            words=self.words(("status", "words"), OrderState),
            id=self.text(("status", "id"), required=False) or "id",
            remains=self.text(("status", "remains"), required=False),
            start_count=self.text(("status", "start_count"), required=False),
            charge=self.text(("status", "charge"), required=False),
        )

    def refill_fields(self) -> RefillStatusFields | None:
        if self.table(("refill_status",), required=False) is None:
            return None
        self.only(("refill_status",), ("state", "words"))
        return RefillStatusFields(
            state=self.text(("refill_status", "state")) or "",
            words=self.words(("refill_status", "words"), RefillState),
        )

    def currency(self) -> str | None:
        currency = self.text(("currency",), required=False)
        if currency is not None and not re.fullmatch(r"[A-Z]{3}", currency):
            raise self.fail(("currency",), "must be a three-letter code such as IDR")
        return currency

    def reasons(self) -> tuple[tuple[str, RejectReason], ...]:
        table = self.table(("errors",), required=False) or {}
        known = [reason.value for reason in RejectReason]
        found = []
        for fragment, reason in table.items():
            if reason not in known:
                raise self.fail(
                    ("errors", fragment), f'unknown reason "{reason}"; known: {", ".join(known)}'
                )
            found.append((fragment.lower(), RejectReason(reason)))
        return tuple(found)


def _parts(keys: str) -> tuple[str, ...]:
    return tuple(_unquote(part) for part in _KEY_PART.findall(keys))


def _unquote(part: str) -> str:
    if part[:1] == '"':
        return str(tomllib.loads(f"k = {part}")["k"])
    return part.strip("'")


def _common(here: tuple[str, ...], path: tuple[str, ...]) -> int:
    depth = 0
    for mine, theirs in zip(here, path, strict=False):
        if mine != theirs:
            break
        depth += 1
    return depth


def _shown(path: tuple[str, ...]) -> str:
    """`[status] words."Sukses"`: the table, then the key inside it."""
    split = 2 if path[:1] in (("actions",), ("request",)) and len(path) > 2 else 1
    if len(path) <= 1:
        return path[0] if path else ""
    # Keys an operator chose (status words, error texts) are shown quoted unless plain.
    key = ".".join(part if _BARE.fullmatch(part) else f'"{part}"' for part in path[split:])
    return f"[{'.'.join(path[:split])}] {key}"
