"""The one way `api/` writes the audit log: a recorder bound to the request's user and address.

Routes that read or change sensitive data declare it (`dependencies=[audited("read",
"memories")]`), or call the recorder themselves when the resource id is known only later (chat).
The entry is written before the handler runs, so attempts that fail (404) are recorded as well.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import Depends, Request

from api.deps import CurrentPrincipal, ServicesDep
from memory.accounts.audit import Action, AuditLog, Resource


def client_address(request: Request) -> str | None:
    """The peer address of the request (behind a proxy: whatever uvicorn was told to trust)."""
    return request.client.host if request.client else None


class Auditor:
    """Records entries for one authenticated request."""

    def __init__(self, log: AuditLog, user_id: int, client: str | None) -> None:
        self._log = log
        self._user_id = user_id
        self._client = client

    async def __call__(
        self, action: Action, resource: Resource, resource_id: str | None = None
    ) -> None:
        """Append one entry for this request's user."""
        await asyncio.to_thread(
            self._log.record, self._user_id, action, resource, resource_id, client=self._client
        )


def get_auditor(principal: CurrentPrincipal, services: ServicesDep, request: Request) -> Auditor:
    """The recorder of the current request."""
    return Auditor(services.audit, principal.user.id, client_address(request))


AuditorDep = Annotated[Auditor, Depends(get_auditor)]


def audited(action: Action, resource: Resource, *, id_param: str | None = None) -> Any:
    """A route dependency that records `action` on `resource` (id from a path parameter)."""

    async def record(auditor: AuditorDep, request: Request) -> None:
        resource_id = request.path_params.get(id_param) if id_param else None
        await auditor(action, resource, None if resource_id is None else str(resource_id))

    return Depends(record)
