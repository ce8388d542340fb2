"""Staff login and logout. Wrong PINs are slowed down, then locked out for a while."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from queue_core import wire
from queue_core.api.deps import AccessDep, Caller, ConfigDep, bearer
from queue_core.api.errors import ERRORS
from queue_core.api.schemas import LoginBody
from queue_core.domain.errors import Unauthorized

router = APIRouter(tags=["auth"], responses=ERRORS)
#: Seconds a failed login waits before answering (grows with the failures in a row).
FAIL_DELAY_S = 0.25


#: The cookie that marks a client a login has succeeded from (``access.LoginThrottle``).
DEVICE_COOKIE = "branchq_device"
DEVICE_COOKIE_DAYS = 180


@router.post("/auth/login", response_model=wire.LoginAnswer)
async def login(
    body: LoginBody, request: Request, response: Response, access: AccessDep
) -> wire.LoginAnswer:
    device = request.cookies.get(DEVICE_COOKIE)
    try:
        token, who, key = await run_in_threadpool(
            access.login, body.login, body.pin, body.counter, device
        )
    except Unauthorized:
        failures = await run_in_threadpool(access.failures, body.login, device)
        await asyncio.sleep(FAIL_DELAY_S * min(8, max(1, failures)))
        raise
    response.set_cookie(
        DEVICE_COOKIE,
        key,
        max_age=DEVICE_COOKIE_DAYS * 86400,
        path="/api/v1/auth",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return {"token": token, "role": who.role, "counter": who.counter, "login": who.name}


@router.post("/auth/logout", response_model=dict[str, str])
def logout(request: Request, caller: Caller, access: AccessDep) -> dict[str, str]:
    token = bearer(request)
    if caller.kind == "staff" and token:
        access.logout(token)
    return {"status": "logged_out"}


@router.get("/auth/me", response_model=wire.WhoAmI)
def me(caller: Caller, config: ConfigDep) -> wire.WhoAmI:
    """Who the token belongs to: a staff member's display name, or the device's name."""
    staff = next((s for s in config.staff if s.login == caller.name), None)
    name = staff.name if caller.kind == "staff" and staff and staff.name else caller.name
    return {
        "role": caller.role,
        "login": caller.name,
        "name": name,
        "counter": caller.counter,
        "kind": "staff" if caller.kind == "staff" else "device",
    }
