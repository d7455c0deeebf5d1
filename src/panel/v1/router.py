"""`/v1`: the REST API for resellers and agencies. Every route needs an API key."""

from fastapi import APIRouter, Depends

from panel.catalogue.endpoints import router as services
from panel.growth.announcement_endpoints import router as announcements
from panel.growth.level_endpoints import router as levels
from panel.growth.update_endpoints import router as service_updates
from panel.growth.voucher_endpoints import router as vouchers
from panel.keys.callers import get_buyer
from panel.ledger.endpoints import router as balance
from panel.orders.endpoints import router as orders
from panel.payments.endpoints_v1 import router as deposits
from panel.plumbing.problems import documented
from panel.pricing.endpoints import router as tier
from panel.support.endpoints_v1 import router as support
from panel.support.notification_endpoints import router as notification_settings
from panel.webhooks.endpoints import router as webhooks

router = APIRouter(
    prefix="/v1",
    dependencies=[Depends(get_buyer)],
    responses=documented(400, 401, 402, 403, 404, 409, 422, 429),
)
for part in (services, orders, balance, tier, webhooks, deposits, notification_settings, support):
    router.include_router(part)
router.include_router(announcements)
router.include_router(service_updates)
router.include_router(levels)
router.include_router(vouchers)
