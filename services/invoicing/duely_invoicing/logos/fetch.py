"""Fetching a logo when the settings naming it are saved.

A logo that can't be fetched (refused address, unreachable, not an image, too large, too slow) makes
the PATCH a 400 naming `logo_url` with the reason, and nothing is saved.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from duely_runtime.errors import ApiError, invalid
from duely_runtime.outbound import OutboundClient, OutboundFailed, OutboundGuard, OutboundRefused

# What WeasyPrint draws, recognised by the file's own first bytes (a declared type alone can lie).
# No SVG: it can reference other URLs and is a parser's attack surface.
SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF87a", "image/gif"),
              (b"GIF89a", "image/gif"))
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


@dataclass(frozen=True)
class LogoImage:
    url: str
    content: bytes
    content_type: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def data_uri(self) -> str:
        return f"data:{self.content_type};base64,{base64.b64encode(self.content).decode()}"


def image_type(content: bytes) -> str | None:
    """The image type `content` is, by its signature, or None when it is none we draw."""
    for signature, content_type in SIGNATURES:
        if content.startswith(signature):
            return content_type
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return None


def url_key(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


def _refused(message: str, code: str = "logo_unavailable") -> ApiError:
    return invalid("logo_url", message, code=code)


async def fetch_logo(guard: OutboundGuard, url: str, *, max_bytes: int, deadline_s: float) -> LogoImage:
    """GET the logo (up to 3 redirects, each checked), or an ApiError naming logo_url with the reason."""
    try:
        async with OutboundClient(guard) as client:
            response = await client.request("GET", url, headers={"accept": ", ".join(IMAGE_TYPES)},
                                            deadline_s=deadline_s, max_bytes=max_bytes, max_redirects=3)
    except OutboundRefused as exc:
        raise _refused(f"logo_url {exc}.", code="url_not_allowed") from None
    except OutboundFailed as exc:
        raise _refused(f"logo_url could not be fetched: {exc}.") from None
    if response.status_code != 200:
        raise _refused(f"logo_url could not be fetched: the server answered {response.summary}.")
    declared = (response.content_type or "").split(";", 1)[0].strip().lower()
    if declared not in IMAGE_TYPES:
        raise _refused(f"logo_url must be a PNG, JPEG, GIF or WebP image; the server sent "
                       f"{declared or 'no content type'}.")
    actual = image_type(response.body)
    if actual is None:
        raise _refused("logo_url must be a PNG, JPEG, GIF or WebP image; the content is not one.")
    return LogoImage(url, response.body, actual)
