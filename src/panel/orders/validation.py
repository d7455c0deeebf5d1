"""Reading an order's parameters by service type (api-v2.md "add"), before any money moves.

Each type says which parameters it needs; the result is the link, the units billed and the
parameters to forward upstream. Anything wrong is refused with the API v2 text for it.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from panel.models import Service
from panel.orders import texts

LINK_MAX = 2048
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*\.[^\s]+$", re.IGNORECASE)
_HANDLE = re.compile(r"^@?[A-Za-z0-9._-]{1,64}$")
LINES_MAX = 10_000
RUNS_MAX = 1_000
INTERVAL_MAX_MINUTES = 60 * 24 * 30

# Counts in ASCII digits only: `\d` and int() also take other scripts' digits ("１００").
_DIGITS = re.compile(r"[0-9]{1,10}")
_SIGNED_DIGITS = re.compile(r"-?[0-9]{1,10}")

MAX_BILLED = 2_147_483_647
# A prepaid product (phone credit, data, game currency, e-money, a token): one item, bought
# for a customer number given as the link.
PREPAID = "Prepaid"
# Types priced per item rather than per 1000: one item an order.
PER_ITEM_TYPES = frozenset({"Package", "Custom Comments Package", PREPAID})
# A phone, game id or meter number: letters and digits as the provider takes them (a game's
# server may follow after a dot or a dash). Never a "/": it separates the parts of a handle.
_CUSTOMER_NUMBER = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{2,39}")


@dataclass(frozen=True)
class Draft:
    """An order as read from its parameters, ready to be priced."""

    link: str
    quantity: int  # units billed (for drip-feed: per run × runs; for a package: 1)
    params: dict[str, str | int] = field(default_factory=dict)  # forwarded upstream as given

    @property
    def runs(self) -> int:
        runs = self.params.get("runs", 1)
        return runs if isinstance(runs, int) else 1


def refuse(text: str) -> texts.Refused:
    return texts.Refused(text)


def read_link(value: str | None) -> str:
    """An http(s) URL or a handle. The panel never fetches it (no SSRF); it only checks it."""
    link = (value or "").strip()
    if not link or len(link) > LINK_MAX or not (_URL.match(link) or _HANDLE.match(link)):
        raise refuse(texts.INCORRECT_LINK)
    return link


def _integer(value: str | None, *, minimum: int, maximum: int) -> int:
    text = (value or "").strip()
    if not _DIGITS.fullmatch(text):
        raise refuse(texts.INCORRECT_REQUEST)
    number = int(text)
    if not minimum <= number <= maximum:
        raise refuse(texts.INCORRECT_REQUEST)
    return number


def _quantity(service: Service, value: str | None) -> int:
    text = (value or "").strip()
    if not _SIGNED_DIGITS.fullmatch(text):
        raise refuse(texts.INCORRECT_REQUEST)
    quantity = int(text)
    if quantity < service.min_quantity:
        raise texts.quantity_below(service.min_quantity)
    if quantity > service.max_quantity:
        raise texts.quantity_above(service.max_quantity)
    return quantity


def _lines(value: str | None) -> list[str]:
    lines = [line.strip() for line in (value or "").replace("\r\n", "\n").split("\n")]
    lines = [line for line in lines if line]
    if not lines or len(lines) > LINES_MAX:
        raise refuse(texts.INCORRECT_REQUEST)
    return lines


def _text(value: str | None) -> str:
    text = (value or "").strip()
    if not text or len(text) > 1000:
        raise refuse(texts.INCORRECT_REQUEST)
    return text


Fields = Mapping[str, str]


def _default(service: Service, fields: Fields) -> Draft:
    link = read_link(fields.get("link"))
    quantity = _quantity(service, fields.get("quantity"))
    if not (fields.get("runs") or fields.get("interval")):
        return Draft(link, quantity, {"quantity": quantity})
    if not service.dripfeed:
        raise refuse(texts.INCORRECT_REQUEST)
    runs = _integer(fields.get("runs"), minimum=2, maximum=RUNS_MAX)
    interval = _integer(fields.get("interval"), minimum=1, maximum=INTERVAL_MAX_MINUTES)
    return Draft(link, quantity * runs, {"quantity": quantity, "runs": runs, "interval": interval})


def _package(service: Service, fields: Fields) -> Draft:
    return Draft(read_link(fields.get("link")), 1)


def _prepaid(service: Service, fields: Fields) -> Draft:
    number = "".join((fields.get("link") or "").split())  # "0812 3456 7890" as typed
    if not _CUSTOMER_NUMBER.fullmatch(number):
        raise refuse(texts.INCORRECT_LINK)  # the standard text: scripts know it
    return Draft(number, 1)


def _with_quantity(*names: str, lines: tuple[str, ...] = ()) -> Callable[[Service, Fields], Draft]:
    """Types that take link and quantity plus named text fields (some one item per line)."""

    def read(service: Service, fields: Fields) -> Draft:
        link = read_link(fields.get("link"))
        quantity = _quantity(service, fields.get("quantity"))
        params: dict[str, str | int] = {"quantity": quantity}
        for name in names:
            params[name] = _text(fields.get(name))
        for name in lines:
            params[name] = "\n".join(_lines(fields.get(name)))
        return Draft(link, quantity, params)

    return read


def _counted_lines(name: str, *extra: str) -> Callable[[Service, Fields], Draft]:
    """Types whose quantity is the number of lines given (one comment or username each)."""

    def read(service: Service, fields: Fields) -> Draft:
        link = read_link(fields.get("link"))
        items = _lines(fields.get(name))
        _quantity(service, str(len(items)))
        params: dict[str, str | int] = {name: "\n".join(items)}
        for other in extra:
            params[other] = _text(fields.get(other))
        return Draft(link, len(items), params)

    return read


def _comments_package(service: Service, fields: Fields) -> Draft:
    link = read_link(fields.get("link"))
    return Draft(link, 1, {"comments": "\n".join(_lines(fields.get("comments")))})


def _subscriptions(service: Service, fields: Fields) -> Draft:
    username = read_link(fields.get("username"))
    low = _quantity(service, fields.get("min"))
    high = _quantity(service, fields.get("max"))
    if high < low:
        raise refuse(texts.INCORRECT_REQUEST)
    posts = _integer(fields.get("posts"), minimum=1, maximum=LINES_MAX)
    old_posts = _integer(fields.get("old_posts") or "0", minimum=0, maximum=LINES_MAX)
    delay = _integer(fields.get("delay") or "0", minimum=0, maximum=INTERVAL_MAX_MINUTES)
    expiry = (fields.get("expiry") or "").strip()
    if expiry:
        try:
            datetime.strptime(expiry, "%d/%m/%Y")
        except ValueError:
            raise refuse(texts.INCORRECT_REQUEST) from None
    params: dict[str, str | int] = {
        "username": username,
        "min": low,
        "max": high,
        "posts": posts,
        "old_posts": old_posts,
        "delay": delay,
    }
    if expiry:
        params["expiry"] = expiry
    # Billed up front at the most it can deliver; what is not delivered is refunded.
    return Draft(username, high * (posts + old_posts), params)


READERS: dict[str, Callable[[Service, Fields], Draft]] = {
    "Default": _default,
    "Package": _package,
    PREPAID: _prepaid,
    "SEO": _with_quantity(lines=("keywords",)),
    "Custom Comments": _counted_lines("comments"),
    "Custom Comments Package": _comments_package,
    "Comment Replies": _counted_lines("comments", "username"),
    "Mentions": _with_quantity(lines=("usernames",)),
    "Mentions with Hashtags": _with_quantity(lines=("usernames", "hashtags")),
    "Mentions Custom List": _counted_lines("usernames"),
    "Mentions Hashtag": _with_quantity("hashtag"),
    "Mentions User Followers": _with_quantity("username"),
    "Comment Likes": _with_quantity("username"),
    "Mentions Media Likers": _with_quantity("media"),
    "Poll": _with_quantity("answer_number"),
    "Subscriptions": _subscriptions,
}


def read(service: Service, fields: Fields) -> Draft:
    """The order `fields` describe for `service`, or the API v2 refusal."""
    reader = READERS.get(service.type, _default)
    draft = reader(service, fields)
    # Runs within the service's limits can still multiply past what an order can record.
    if draft.quantity > MAX_BILLED:
        raise refuse(texts.INCORRECT_REQUEST)
    return draft
