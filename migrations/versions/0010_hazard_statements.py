"""hazards: combined-judgement elements, gas suppliers; derived descriptions say the defect

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-14

Adds `hazards.elements` (contract 1.1: the item codes of a combined judgement's elements),
`hazards.supplier_id` (the gas supplier as an entity of its county, server.suppliers; filled
in for existing hazards that name one, in the row and its "found" event) and
`supplier_merges` (reviewers' merges of two names for one company).

Rewrites the description of every hazard derived from an inspection: it was the item's
question, often phrased as the safe state ("已安装可燃气体报警装置并能正常工作"); it becomes
the item's hazard statement with the value found and the requirement (forms.describe),
as new findings are described. A derived hazard is recognised by its id: the contract's
uuid5(NAMESPACE, "<inspection id>:<item>") of the inspection of its "found" event. A hazard
reported by hand (hazard.report) has an id of its own, so its written description is left
alone. The "found" event's description is rewritten with the row, so replaying the
events still gives the row; and the hazard's change-log entry is written again, so phones
pull the new wording.
"""
import unicodedata
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

JSONDoc = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')
NAMESPACE = uuid.UUID("6f1c3c52-5a4e-4f4e-9a38-7d0c2b1e8a11")
SUPPLIER_NAMESPACE = uuid.UUID("3b0f4a5e-9d2c-5e71-8a40-6c1d2e9f7b33")


def normalize(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).split())


def county_code(path: str):
    parts = [p for p in (path or "").split("/") if p]
    return parts[1] if len(parts) > 1 else None

hazards = sa.table(
    'hazards', sa.column('id', sa.Uuid()), sa.column('item', sa.String()),
    sa.column('description', sa.Text()), sa.column('version', sa.Integer()),
    sa.column('site_id', sa.Uuid()), sa.column('supplier', sa.String()),
    sa.column('supplier_id', sa.Uuid()))
sites = sa.table('sites', sa.column('id', sa.Uuid()), sa.column('region_code', sa.String()))
regions = sa.table('regions', sa.column('code', sa.String()), sa.column('path', sa.String()))
events = sa.table(
    'hazard_events', sa.column('seq', sa.Integer()), sa.column('hazard_id', sa.Uuid()),
    sa.column('type', sa.String()), sa.column('inspection_id', sa.Uuid()),
    sa.column('data', JSONDoc))
inspections = sa.table(
    'inspections', sa.column('id', sa.Uuid()), sa.column('checklist_code', sa.String()),
    sa.column('checklist_version', sa.Integer()), sa.column('answers', JSONDoc))
changes = sa.table(
    'sync_change_log', sa.column('seq', sa.Integer()), sa.column('type', sa.String()),
    sa.column('entity_id', sa.Uuid()), sa.column('op', sa.String()),
    sa.column('version', sa.Integer()), sa.column('region_code', sa.String()),
    sa.column('owner_id', sa.Uuid()), sa.column('merged_into', sa.Uuid()),
    sa.column('at', sa.DateTime(timezone=True)))


def upgrade():
    op.create_table(
        'supplier_merges',
        sa.Column('supplier_id', sa.Uuid(), nullable=False),
        sa.Column('merged_into', sa.Uuid(), nullable=False),
        sa.Column('county_code', sa.String(length=20), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('merged_by', sa.Uuid(), nullable=True),
        sa.Column('merged_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['county_code'], ['regions.code'],
                                name=op.f('fk_supplier_merges_county_code_regions')),
        sa.ForeignKeyConstraint(['merged_by'], ['users.id'],
                                name=op.f('fk_supplier_merges_merged_by_users')),
        sa.PrimaryKeyConstraint('supplier_id', name=op.f('pk_supplier_merges')))
    with op.batch_alter_table('supplier_merges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplier_merges_merged_into'), ['merged_into'], unique=False)
    with op.batch_alter_table('hazards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('elements', JSONDoc, nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('supplier_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_hazards_supplier_id'), ['supplier_id'], unique=False)
    conn = op.get_bind()
    rewrite_descriptions(conn)
    name_suppliers(conn)


def downgrade():
    with op.batch_alter_table('hazards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hazards_supplier_id'))
        batch_op.drop_column('supplier_id')
        batch_op.drop_column('elements')
    with op.batch_alter_table('supplier_merges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supplier_merges_merged_into'))
    op.drop_table('supplier_merges')


def name_suppliers(conn) -> int:
    """supplier_id of every hazard that names a supplier, in the row and its found event
    (as server.suppliers.identity makes it, repeated here so this step never changes)."""
    rows = conn.execute(
        sa.select(hazards.c.id, hazards.c.supplier, regions.c.path, events.c.seq, events.c.data)
        .join(sites, sites.c.id == hazards.c.site_id)
        .join(regions, regions.c.code == sites.c.region_code)
        .join(events, sa.and_(events.c.hazard_id == hazards.c.id, events.c.type == 'found'))
        .where(hazards.c.supplier.is_not(None), hazards.c.supplier_id.is_(None))).all()
    named = 0
    for row in rows:
        county = county_code(row.path)
        if county is None or not normalize(row.supplier):
            continue
        supplier_id = uuid.uuid5(SUPPLIER_NAMESPACE, f"{county}:{normalize(row.supplier)}")
        conn.execute(hazards.update().where(hazards.c.id == row.id).values(supplier_id=supplier_id))
        conn.execute(events.update().where(events.c.seq == row.seq)
                     .values(data={**(row.data or {}), "supplier_id": str(supplier_id)}))
        named += 1
    return named


def _value(answers, code):
    for answer in answers or []:
        if isinstance(answer, dict) and answer.get("item") == code:
            return answer.get("value")
    return None


def rewrite_descriptions(conn) -> int:
    """Describe every derived hazard as forms describes a finding; returns how many changed."""
    import forms

    found = conn.execute(
        sa.select(hazards.c.id, hazards.c.item, hazards.c.description, events.c.seq,
                  events.c.data, events.c.inspection_id, inspections.c.checklist_code, inspections.c.checklist_version,
                  inspections.c.answers)
        .join(events, sa.and_(events.c.hazard_id == hazards.c.id, events.c.type == 'found'))
        .join(inspections, inspections.c.id == events.c.inspection_id)
        .where(hazards.c.item.is_not(None))).all()
    changed = 0
    for row in found:
        derived_id = uuid.uuid5(NAMESPACE, f"{uuid.UUID(str(row.inspection_id))}:{row.item}")
        if uuid.UUID(str(row.id)) != derived_id:
            continue  # not derived: reported by hand, its description is the reporter's
        try:
            item = forms.get(row.checklist_code, row.checklist_version).item(row.item)
        except forms.UnknownChecklist:
            continue
        if item is None:
            continue
        text = forms.describe(item, _value(row.answers, row.item))
        if text == row.description:
            continue
        conn.execute(hazards.update().where(hazards.c.id == row.id).values(description=text))
        conn.execute(events.update().where(events.c.seq == row.seq)
                     .values(data={**(row.data or {}), "description": text}))
        _note_again(conn, row.id)
        changed += 1
    return changed


def _note_again(conn, hazard_id) -> None:
    """The hazard's latest feed entries, written again at the end of the feed."""
    rows = conn.execute(sa.select(changes).where(
        changes.c.type == 'hazard', changes.c.entity_id == hazard_id, changes.c.op == 'put')).all()
    for row in rows:
        conn.execute(changes.delete().where(changes.c.seq == row.seq))
        conn.execute(changes.insert().values(
            type='hazard', entity_id=hazard_id, op='put', version=row.version,
            region_code=row.region_code, owner_id=row.owner_id, merged_into=None,
            at=datetime.now(UTC)))
