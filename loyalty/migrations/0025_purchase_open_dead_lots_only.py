"""loyalty_purchase_open(…) again, reading only the dead lots when the purchase redeems nothing (issue #16).

Migration 0024's function read every live lot of the customer with its window query even when nothing was
redeemed (p_spend 0), where the separate statements it replaced read only the dead ones: a purchase for a
customer with 5 000 lots took 15 ms in it (bench/api_purchases.py's history curve, 5 000 ÷ 1: 2.80). With
p_spend 0 it now reads the lots whose expiry has passed, as expire_dead_lots did; the rest is 0024's.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION loyalty_purchase_open(
    p_customer bigint, p_now timestamptz, p_spend bigint, p_versions boolean,
    p_today date, p_first_day date, p_edge_from timestamptz, p_start timestamptz, p_first_edge_to timestamptz
) RETURNS TABLE (
    part text, n1 bigint, n2 bigint, n3 bigint, n4 bigint, n5 bigint, n6 bigint, n7 bigint,
    t1 timestamptz, t2 timestamptz, t3 timestamptz, d1 date, flag boolean, m1 numeric, m2 numeric,
    s1 text, s2 text
) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    day_s numeric; day_n bigint; edge_s numeric; edge_n bigint; first_s numeric; first_n bigint;
BEGIN
    RETURN QUERY
        SELECT 'a', a.customer_id, a.balance, a.points_owed, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint,
               a.updated_at, NULL::timestamptz, NULL::timestamptz, NULL::date, NULL::boolean, NULL::numeric,
               NULL::numeric, NULL::text, NULL::text
        FROM loyalty_pointsaccount a WHERE a.customer_id = p_customer FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN;  -- locked by another transaction, or no account yet: the caller's usual path
    END IF;
    IF p_spend > 0 THEN
        -- core._lots_for_spending's query: the dead lots, and the spendable ones that pay p_spend.
        RETURN QUERY
            WITH lots AS (
                SELECT l.id, l.customer_id, l.entry_id, l.origin_lot_id, l.points, l.remaining, l.created_at,
                       l.available_at, l.expires_at, (l.expires_at IS NOT NULL AND l.expires_at <= p_now) AS dead
                FROM loyalty_pointslot l
                WHERE l.customer_id = p_customer AND l.remaining > 0
                  AND (l.expires_at <= p_now OR l.available_at <= p_now)
            ), ranked AS (
                SELECT lots.*, SUM(CASE WHEN lots.dead THEN 0 ELSE lots.remaining END) OVER () AS total,
                       SUM(CASE WHEN lots.dead THEN 0 ELSE lots.remaining END)
                           OVER (ORDER BY lots.dead, lots.expires_at ASC NULLS LAST, lots.available_at, lots.id
                                 ROWS UNBOUNDED PRECEDING) AS running
                FROM lots
            )
            SELECT 'l', r.id, r.customer_id, r.entry_id, r.origin_lot_id, r.points, r.remaining, r.total::bigint,
                   r.created_at, r.available_at, r.expires_at, NULL::date, r.dead, NULL::numeric, NULL::numeric,
                   NULL::text, NULL::text
            FROM ranked r WHERE r.dead OR r.running - r.remaining < p_spend
            ORDER BY r.dead, r.expires_at ASC NULLS LAST, r.available_at, r.id;
    ELSE
        -- Nothing redeemed: only the dead lots (expire_dead_lots' query), through the open lots' index on
        -- (customer, expires_at): a cost that does not grow with the customer's live lots (issue #16).
        RETURN QUERY
            SELECT 'l', l.id, l.customer_id, l.entry_id, l.origin_lot_id, l.points, l.remaining, 0::bigint,
                   l.created_at, l.available_at, l.expires_at, NULL::date, TRUE, NULL::numeric, NULL::numeric,
                   NULL::text, NULL::text
            FROM loyalty_pointslot l
            WHERE l.customer_id = p_customer AND l.remaining > 0 AND l.expires_at <= p_now
            ORDER BY l.id;
    END IF;
    IF p_versions THEN
        RETURN QUERY
            SELECT 'v', NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint,
                   NULL::bigint, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, NULL::date, NULL::boolean,
                   NULL::numeric, NULL::numeric, v.name::text, v.token::text
            FROM core_cacheversion v;
    END IF;
    RETURN QUERY
        SELECT 's', s.customer_id, s.tier_id, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint,
               NULL::bigint, s.changed_at, NULL::timestamptz, NULL::timestamptz, s.below_since, NULL::boolean,
               NULL::numeric, NULL::numeric, NULL::text, NULL::text
        FROM loyalty_tierstatus s WHERE s.customer_id = p_customer FOR UPDATE;
    IF p_today IS NOT NULL THEN
        -- selectors._qualifying_spend_from's statement: the window's whole days from the running totals,
        -- its last day's purchases (from p_edge_from) and its first day's (from p_start), one by one.
        SELECT SUM(d.spend), SUM(d.purchases) INTO day_s, day_n FROM loyalty_spendday d
        WHERE d.customer_id = p_customer AND d.day < p_today AND (p_first_day IS NULL OR d.day > p_first_day);
        SELECT SUM(p.qualifying_amount), SUM(CASE WHEN p.qualifying_amount > 0 THEN 1 ELSE 0 END)
        INTO edge_s, edge_n FROM loyalty_purchase p
        WHERE p.customer_id = p_customer AND p.created_at >= p_edge_from AND p.created_at <= p_now;
        IF p_first_edge_to IS NOT NULL THEN  -- before p_edge_from: the two ranges never overlap
            SELECT SUM(p.qualifying_amount), SUM(CASE WHEN p.qualifying_amount > 0 THEN 1 ELSE 0 END)
            INTO first_s, first_n FROM loyalty_purchase p
            WHERE p.customer_id = p_customer AND p.created_at >= p_start AND p.created_at < p_first_edge_to
              AND p.created_at <= p_now;
            IF first_s IS NOT NULL THEN
                edge_s := COALESCE(edge_s, 0) + first_s;
                edge_n := COALESCE(edge_n, 0) + first_n;
            END IF;
        END IF;
        RETURN QUERY
            SELECT 'q', day_n, edge_n, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint,
                   NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, NULL::date, NULL::boolean,
                   day_s, edge_s, NULL::text, NULL::text;
    END IF;
END;
$$
"""

PREVIOUS = __import__("importlib").import_module("loyalty.migrations.0024_purchase_open_function").CREATE


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PREVIOUS, params=None)


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0024_purchase_open_function")]

    operations = [migrations.RunPython(forwards, backwards)]
