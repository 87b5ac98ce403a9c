"""An OpenID Connect provider for the tests, on loopback, as ProConnect behaves: the code
flow with PKCE, an ID token and a userinfo answer both signed JWTs (RS256), its keys
published. It signs in whoever the test says (`person`), at once."""

from __future__ import annotations

import base64
import hashlib
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

import uvicorn
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

CLIENT_ID, CLIENT_SECRET = "saisine-test", "un secret de test"


@dataclass
class Provider:
    person: dict = field(default_factory=lambda: {"sub": "agent-1",
                                                  "email": "agnes.martin@ac-grenoble.fr"})
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(
        2048, parameters={"kid": "k1"}))
    forge_with: RSAKey | None = None  # sign with another key than the published one
    port: int = 0
    codes: dict = field(default_factory=dict)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def sign(self, claims: dict) -> str:
        key = self.forge_with or self.key
        return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)

    def app(self) -> Starlette:
        async def discovery(request: Request) -> Response:
            return JSONResponse({
                "issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "userinfo_endpoint": f"{self.issuer}/userinfo", "jwks_uri": f"{self.issuer}/jwks"})

        async def authorize(request: Request) -> Response:
            q = request.query_params
            code = secrets.token_urlsafe(16)
            self.codes[code] = dict(q)
            back = urlencode({"code": code, "state": q["state"]})
            return RedirectResponse(f"{q['redirect_uri']}?{back}", status_code=303)

        async def token(request: Request) -> Response:
            form = await request.form()
            asked = self.codes.pop(str(form.get("code")), None)
            challenge = base64.urlsafe_b64encode(hashlib.sha256(
                str(form.get("code_verifier", "")).encode()).digest()).rstrip(b"=").decode()
            if (asked is None or form.get("client_secret") != CLIENT_SECRET
                    or form.get("redirect_uri") != asked["redirect_uri"]
                    or challenge != asked["code_challenge"]):
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            now = int(time.time())
            claims = {"iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 60,
                      "nonce": asked["nonce"], **self.person}
            return JSONResponse({"access_token": "at-" + asked["nonce"], "token_type": "Bearer",
                                 "id_token": self.sign(claims)})

        async def userinfo(request: Request) -> Response:
            now = int(time.time())
            claims = {"iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 60,
                      **self.person}
            return Response(self.sign(claims), media_type="application/jwt")

        async def jwks(request: Request) -> Response:
            return JSONResponse(KeySet([self.key]).as_dict(private=False))

        return Starlette(routes=[
            Route("/.well-known/openid-configuration", discovery), Route("/authorize", authorize),
            Route("/token", token, methods=["POST"]), Route("/userinfo", userinfo),
            Route("/jwks", jwks)])


def serve(provider: Provider) -> uvicorn.Server:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        provider.port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(provider.app(), host="127.0.0.1", port=provider.port,
                                           log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    return server
