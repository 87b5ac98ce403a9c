"""Signing in through OpenID Connect: ProConnect, the State's federation for public agents,
which académies use (or any OIDC provider).

The authorization code flow with PKCE, a state and a nonce. The ID token is checked
against the provider's published keys (issuer, audience, expiry, nonce); the userinfo
answer too when it is a signed JWT, as ProConnect's is. The provider says who the person
is; the bureau decides what they may do: an account must already exist for their
address (created by the administrator), and be active.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from config.errors import ActionError
from config.settings import OIDC

TIMEOUT = 10.0
SCOPES = "openid email given_name usual_name"  # what ProConnect names them
_METADATA: dict[str, tuple[float, dict[str, Any]]] = {}  # issuer -> (when, metadata)


@dataclass(frozen=True)
class Started:
    url: str  # where the browser goes to sign in
    state: str
    nonce: str
    verifier: str


def _metadata(settings: OIDC) -> dict[str, Any]:
    cached = _METADATA.get(settings.issuer)
    if cached and time.monotonic() - cached[0] < 3600:
        return cached[1]
    url = settings.issuer.rstrip("/") + "/.well-known/openid-configuration"
    metadata = _json(_call("GET", url), url)
    if metadata.get("issuer", "").rstrip("/") != settings.issuer.rstrip("/"):
        raise ActionError("Le fournisseur d'identité ne se présente pas sous l'adresse "
                          "attendue.")
    _METADATA[settings.issuer] = (time.monotonic(), metadata)
    return metadata


def start(settings: OIDC) -> Started:
    metadata = _metadata(settings)
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()) \
        .rstrip(b"=").decode()
    query = urlencode({"response_type": "code", "client_id": settings.client_id,
                       "redirect_uri": settings.redirect_url, "scope": SCOPES, "state": state,
                       "nonce": nonce, "code_challenge": challenge,
                       "code_challenge_method": "S256"})
    return Started(f"{metadata['authorization_endpoint']}?{query}", state, nonce, verifier)


def finish(settings: OIDC, code: str, verifier: str, nonce: str) -> str:
    """The signed-in person's address (lower case), once the provider's answers check."""
    metadata = _metadata(settings)
    published = _json(_call("GET", metadata["jwks_uri"]), metadata["jwks_uri"])
    try:
        keys = KeySet.import_key_set(published)  # type: ignore[arg-type]  # checked here
    except (JoseError, ValueError, KeyError, TypeError) as err:
        raise ActionError("Les clés du fournisseur d'identité sont illisibles.") from err
    tokens = _json(_call("POST", metadata["token_endpoint"], data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": settings.redirect_url,
        "client_id": settings.client_id, "client_secret": settings.client_secret
        .get_secret_value(), "code_verifier": verifier}), metadata["token_endpoint"])
    identity = _verified(tokens.get("id_token", ""), keys, settings, metadata["issuer"])
    if identity.get("nonce") != nonce:
        raise ActionError("La réponse du fournisseur d'identité ne correspond pas à cette "
                          "connexion.")
    answer = _call("GET", metadata["userinfo_endpoint"],
                   headers={"Authorization": f"Bearer {tokens.get('access_token', '')}"})
    if answer.headers.get("content-type", "").startswith("application/jwt"):
        info = _verified(answer.text.strip(), keys, settings, metadata["issuer"])
    else:
        info = _json(answer, metadata["userinfo_endpoint"])
    if info.get("sub") != identity.get("sub"):
        raise ActionError("Le fournisseur d'identité a répondu pour une autre personne.")
    email = str(info.get("email") or identity.get("email") or "").strip().lower()
    if "@" not in email:
        raise ActionError("Le fournisseur d'identité n'a pas donné d'adresse électronique.")
    return email


def _verified(token: str, keys: KeySet, settings: OIDC, issuer: str) -> dict[str, Any]:
    try:
        decoded = jwt.decode(token, keys)
        jwt.JWTClaimsRegistry(iss={"essential": True, "value": issuer},
                              aud={"essential": True, "value": settings.client_id},
                              exp={"essential": True}).validate(decoded.claims)
    except (JoseError, ValueError) as err:
        raise ActionError("La réponse du fournisseur d'identité n'a pas pu être vérifiée.") \
            from err
    return dict(decoded.claims)


def _call(method: str, url: str, **options: Any) -> httpx.Response:
    try:
        return httpx.request(method, url, timeout=TIMEOUT, **options)
    except httpx.HTTPError as err:
        raise ActionError(f"Le fournisseur d'identité ne répond pas ({url}).") from err


def _json(answer: httpx.Response, where: str) -> dict[str, Any]:
    if answer.status_code != 200:
        raise ActionError(f"Le fournisseur d'identité a répondu {answer.status_code} "
                          f"({where}).")
    try:
        value = answer.json()
    except ValueError as err:
        raise ActionError(f"Réponse illisible du fournisseur d'identité ({where}).") from err
    if not isinstance(value, dict):
        raise ActionError(f"Réponse inattendue du fournisseur d'identité ({where}).")
    return value
