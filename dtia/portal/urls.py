"""Addresses of the portal's pages and downloads, as published outside it (Prefect artifacts,
e-mail): built from DTIA_PORTAL_URL only when it is set, never from a guess or a file path."""

from __future__ import annotations

from urllib.parse import quote

from dtia.config import Settings


def configured_portal_url(settings: Settings) -> str | None:
    """The portal's address when DTIA_PORTAL_URL (or the setting) is given, else None: the
    default address is right for a portal on this machine only, and a link to it published
    from a worker elsewhere would lead nowhere."""
    if "portal_url" not in settings.model_fields_set:
        return None
    return settings.portal_url.rstrip("/")


def _join(portal_url: str, path: str) -> str:
    return portal_url.rstrip("/") + path


def transfer_page(portal_url: str, transfer_id: str) -> str:
    return _join(portal_url, f"/transfers/{quote(transfer_id, safe='')}")


def dossier_download(portal_url: str, transfer_id: str) -> str:
    """The current version's review pack (or exemption memo) PDF, behind the portal's
    sign-in; the filing pack is beside it (``filing.pdf``) on the transfer's page."""
    return _join(portal_url, f"/api/transfers/{quote(transfer_id, safe='')}/review.pdf")


def questionnaire_page(portal_url: str, questionnaire_id: int) -> str:
    """Where legal issues a waiting questionnaire's link to the recipient."""
    return _join(portal_url, f"/questionnaires/{questionnaire_id}")
