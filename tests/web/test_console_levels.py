"""The reseller console's agency levels over HTTP: a level added and removed, the keep and
reset rules saved, and what the level book refuses changes nothing."""

from decimal import Decimal

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from panel.growth import level_book
from tests.fixtures.factories import World
from tests.web.conftest import csrf_of

D = Decimal


async def test_a_reseller_sets_its_agencies_levels_and_rules(
    world: World, reseller_web: AsyncClient, session: AsyncSession
) -> None:
    form = await reseller_web.get("/console/levels")
    assert form.status_code == 200
    assert 'id="keep_percent" name="keep_percent" inputmode="decimal" value="30"' in form.text
    csrf = csrf_of(form)
    level = {"name": "Emas", "target": "2000", "badge": "gold", "markup_percent": "12,5"}
    added = await reseller_web.post("/console/levels", data={**level, "csrf": csrf})
    assert (added.status_code, added.headers["location"]) == (303, "/console/levels?saved=1")
    [gold] = await level_book.levels(session, world.reseller.id)
    assert (gold.name, gold.target, gold.badge, gold.markup_percent) == (
        "Emas",
        2000,
        "gold",
        D("12.5"),
    )
    # The same target twice, and a badge not on the list: refused, nothing added.
    for wrong in ({"name": "Lain"}, {"name": "Lain", "target": "10", "badge": "neon"}):
        refused = await reseller_web.post("/console/levels", data={**level, **wrong, "csrf": csrf})
        assert refused.status_code == 400
        assert 'role="alert"' in refused.text
    assert len(await level_book.levels(session, world.reseller.id)) == 1

    rules = {"keep_percent": "40", "reset_days": "120", "csrf": csrf}
    saved = await reseller_web.post("/console/levels/rules", data=rules)
    assert saved.status_code == 303
    assert await level_book.rules(session, world.reseller.id) == level_book.Rules(D(40), 120)
    too_short = await reseller_web.post("/console/levels/rules", data={**rules, "reset_days": "3"})
    assert too_short.status_code == 400
    assert await level_book.rules(session, world.reseller.id) == level_book.Rules(D(40), 120)

    # Another reseller's level cannot be removed from here.
    theirs = await level_book.create(
        session, world.other_reseller.id, name="Perak", target=100, badge="silver"
    )
    gone = await reseller_web.post(f"/console/levels/{theirs.id}/delete", data={"csrf": csrf})
    assert gone.status_code == 400
    removed = await reseller_web.post(f"/console/levels/{gold.id}/delete", data={"csrf": csrf})
    assert removed.status_code == 303
    assert await level_book.levels(session, world.reseller.id) == []
    assert len(await level_book.levels(session, world.other_reseller.id)) == 1
