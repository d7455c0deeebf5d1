from datetime import datetime
from typing import Annotated

from pydantic import AnyHttpUrl, Field

from panel.plumbing.schemas import Out, Schema

# A host name as typed: `panel.example.co.id`, an IDN, `localhost`, or an address pasted from
# the browser. The brand book reads it (`panel.brands.host_names`) and keeps the host alone.
Host = Annotated[str, Field(min_length=1, max_length=2048, examples=["panel.example.co.id"])]
Color = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]


class BrandIn(Schema):
    name: str = Field(min_length=1, max_length=100, pattern=r"\S")
    hosts: list[Host] = Field(min_length=1, max_length=20, description="where the panel answers")
    logo_url: AnyHttpUrl | None = None
    primary_color: Color = "#1f6feb"
    accent_color: Color = "#0e1116"
    whatsapp_url: AnyHttpUrl | None = None
    payment_instructions: str = Field(default="", max_length=5000)


class BrandOut(Out):
    reseller_id: int
    name: str
    hosts: list[str]
    logo_url: str | None
    primary_color: str
    accent_color: str
    whatsapp_url: str | None
    payment_instructions: str


class SignInLinkOut(Out):
    path: str = Field(description="open it on a host where the account signs in; it works once")
    expires_at: datetime
