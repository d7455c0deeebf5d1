"""What the sandbox sells, and which `add` parameters each service type takes (api-v2.md)."""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class SandboxService:
    id: str
    name: str
    type: str
    category: str
    rate: Decimal  # per 1000 units; per package for the package types
    min: int
    max: int
    refill: bool
    cancel: bool
    dripfeed: bool = False
    description: str = ""


# Services 1-4 are the ones `pasok up` seeds its demo with (panel.demo.SANDBOX_SERVICES): same
# names, rates and limits. 5-7 show the other `add` shapes: comments, a package, drip-feed.
DEFAULT_SERVICES = (
    SandboxService("1", "Instagram Followers", "Default", "Instagram", Decimal("0.90"),
                   10, 100_000, refill=True, cancel=True),
    SandboxService("2", "Instagram Likes", "Default", "Instagram", Decimal("0.12"),
                   10, 50_000, refill=False, cancel=True),
    SandboxService("3", "YouTube Views", "Default", "YouTube", Decimal("1.50"),
                   100, 1_000_000, refill=True, cancel=False),
    SandboxService("4", "Telegram Channel Members", "Default", "Telegram", Decimal("2.40"),
                   50, 50_000, refill=False, cancel=False),
    SandboxService("5", "Instagram Custom Comments", "Custom Comments", "Instagram",
                   Decimal("12.00"), 5, 1000, refill=False, cancel=False,
                   description="One comment per line; quantity is the number of lines."),
    SandboxService("6", "Instagram Post Package", "Package", "Instagram", Decimal("3.00"),
                   1, 1, refill=False, cancel=False,
                   description="Likes, saves and reach for one post; the rate is per package."),
    SandboxService("7", "Instagram Followers (drip-feed)", "Default", "Instagram",
                   Decimal("1.10"), 10, 100_000, refill=True, cancel=True, dripfeed=True),
)  # fmt: skip

PACKAGE_TYPES = frozenset({"Package", "Custom Comments Package"})

# Parameters each type needs besides `service`. `quantity` is counted from a list parameter
# where the type has one instead (one comment or username per line).
REQUIRED_PARAMS: dict[str, tuple[str, ...]] = {
    "Default": ("link", "quantity"),
    "Package": ("link",),
    "SEO": ("link", "quantity", "keywords"),
    "Custom Comments": ("link", "comments"),
    "Custom Comments Package": ("link", "comments"),
    "Comment Replies": ("link", "username", "comments"),
    "Mentions": ("link", "quantity", "usernames"),
    "Mentions with Hashtags": ("link", "quantity", "usernames", "hashtags"),
    "Mentions Custom List": ("link", "usernames"),
    "Mentions Hashtag": ("link", "quantity", "hashtag"),
    "Mentions User Followers": ("link", "quantity", "username"),
    "Comment Likes": ("link", "quantity", "username"),
    "Mentions Media Likers": ("link", "quantity", "media"),
    "Poll": ("link", "quantity", "answer_number"),
    "Subscriptions": ("username", "min", "max", "posts", "old_posts", "delay", "expiry"),
}
COUNTED_FROM = {
    "Custom Comments": "comments",
    "Custom Comments Package": "comments",
    "Comment Replies": "comments",
    "Mentions Custom List": "usernames",
}
