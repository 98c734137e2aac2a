"""A re-finalize after the commune merged: an item that only moved with the merge (nobody
worked on it) is withdrawn, restored or updated as any item nobody worked on."""
from __future__ import annotations

import pytest

from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .support import World


@pytest.fixture
def world(app, client):
    return World(app, client)


def test_a_wrong_no_corrected_after_the_commune_merged_withdraws_its_item(world):
    """The lead finalizes NT's inspection with 1.6 answered "No" by mistake: the plan gets
    an item for 1.6. Then NT is merged into a new commune (its open item moves there,
    nobody works on it). The lead reopens the record, corrects 1.6 to "Yes" and finalizes
    again. They expect the 1.6 item to be withdrawn (as it is without the merge): 1.6 is
    no longer a shortcoming. What happened: the item stayed open in the new commune's plan,
    with its deadline and reminders, because the automatic "unit merged" history line
    made it count as an item someone worked on."""
    unit_service.add_unit(world.store, "MOI", "Xã Mới")
    record = world.start("lead", "NT")
    world.answer("lead", record, "1.6", value=False)
    world.finalize("lead", record)
    item = next(i for i in world.record(record).items if i.criterion == "1.6")
    assert item.status == "open"

    unit_service.merge_units(world.store, ["NT"], "MOI", "01/07/2025", by="admin")
    assert world.item(item.id).unit == "MOI"

    service.reopen(world.store, world.scope("lead"), record, "Sửa kết quả tiêu chí 1.6")
    world.answer("lead", record, "1.6", value=True)
    _, preview = service.finalize_preview(world.store, world.scope("lead"), record,
                                          allow_unanswered=True)
    world.finalize("lead", record)

    after = world.item(item.id)
    assert item.id in preview.withdrawn, "the confirmation does not announce the item withdrawn"
    assert after.status == "no_action", (after.status, [e.action for e in after.history])
