"""`/admin/v1`: the operator's API. Every route needs an operator token."""

from fastapi import APIRouter, Depends

from panel.accounts.admin import operators_router as operators
from panel.accounts.admin import router as accounts
from panel.accounts.security_admin import router as account_security
from panel.action_log.admin import router as action_log
from panel.brands.admin import router as brands
from panel.catalogue.admin import router as catalogue
from panel.currencies.admin import router as currencies
from panel.growth.announcement_endpoints import admin_router as announcements
from panel.growth.voucher_endpoints import admin_router as vouchers
from panel.keys.admin import router as keys
from panel.keys.callers import get_operator
from panel.ledger.admin import router as ledger
from panel.orders.admin import router as orders
from panel.payments.admin import router as payments
from panel.plumbing.problems import documented
from panel.pricing.admin import router as pricing
from panel.reports.admin import router as reports
from panel.support.admin import router as support

router = APIRouter(
    prefix="/admin/v1",
    dependencies=[Depends(get_operator)],
    responses=documented(400, 401, 402, 403, 404, 409, 422, 429, 502),
)
for part in (accounts, keys, ledger, pricing, catalogue, currencies, orders, reports, brands):
    router.include_router(part)
router.include_router(account_security)
router.include_router(payments)
router.include_router(support)
router.include_router(operators)
router.include_router(action_log)
router.include_router(announcements)
router.include_router(vouchers)
