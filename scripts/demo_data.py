#!/usr/bin/env python3
"""Loads Odyssey's demo data into the cluster of the env file (idempotent: run it again and it
updates in place). Two vendors with fixed ids, their users and roles, a platform superadmin,
products with nutrition/allergens/tags, and customers with health profiles.

  users: admin@greengrocer.example (vendor_admin), ops@greengrocer.example (vendor_operator),
         viewer@greengrocer.example (vendor_viewer), admin@harborfoods.example (vendor_admin),
         root@odyssey.example (superadmin)
"""
from __future__ import annotations

import sys
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from gateway.config import require  # noqa: E402

VENDORS = {
    "0b7d1f7e-6c1a-4f0e-9a57-6f1d2b3c4d01": "Green Grocer",
    "0b7d1f7e-6c1a-4f0e-9a57-6f1d2b3c4d02": "Harbor Foods",
}
USERS = [  # id, email, display name, vendor (None = platform superadmin), role
    ("u-gg-admin", "admin@greengrocer.example", "Grace Admin", "0b7d1f7e-6c1a-4f0e-9a57-6f1d2b3c4d01", "vendor_admin"),
    ("u-gg-ops", "ops@greengrocer.example", "Oscar Operator", "0b7d1f7e-6c1a-4f0e-9a57-6f1d2b3c4d01", "vendor_operator"),
    ("u-gg-viewer", "viewer@greengrocer.example", "Vera Viewer", "0b7d1f7e-6c1a-4f0e-9a57-6f1d2b3c4d01", "vendor_viewer"),
    ("u-hf-admin", "admin@harborfoods.example", "Hal Admin", "0b7d1f7e-6c1a-4f0e-9a57-6f1d2b3c4d02", "vendor_admin"),
    ("u-root", "root@odyssey.example", "Rita Root", None, "superadmin"),
]
WORDS = ["oat", "almond", "protein", "crunchy", "organic", "vanilla", "cocoa", "granola", "yogurt",
         "honey", "berry", "quinoa", "lentil", "spicy", "smoked", "salmon", "rice", "coconut"]


def main() -> int:
    url = require("ODYSSEY_SUPERUSER_URL")
    with psycopg.connect(url, autocommit=True) as su:
        for vid, name in VENDORS.items():
            su.execute("insert into core.vendors (id, name) values (%s, %s) on conflict (id) do nothing", (vid, name))
        for uid, email, display, vendor, role in USERS:
            su.execute("insert into core.users (id, email, display_name) values (%s, %s, %s) "
                       "on conflict (id) do update set email = excluded.email, display_name = excluded.display_name",
                       (uid, email, display))
            if vendor is None:
                su.execute("insert into core.platform_admins (user_id, reason) values (%s, 'demo platform operator') "
                           "on conflict (user_id) do nothing", (uid,))
            else:
                su.execute("insert into core.user_links (user_id, vendor_id, role) values (%s, %s, %s) "
                           "on conflict (user_id, vendor_id) do update set role = excluded.role", (uid, vendor, role))
        cat = su.execute("select id from catalog.tax_categories where code in ('snacks', 'uncategorized') "
                         "order by code = 'snacks' desc limit 1").fetchone()
        if cat is None:
            cat = su.execute("insert into catalog.tax_categories (code, label) values ('snacks', 'Snacks') "
                             "on conflict (code) do update set label = excluded.label returning id").fetchone()
        for n, vid in enumerate(VENDORS):
            with su.transaction():
                su.execute("select set_config('odyssey.vendor_id', %s, true), set_config('odyssey.user_id', 'demo-loader', true)",
                           (vid,))
                su.execute(
                    """insert into catalog.products (id, vendor_id, external_id, name, brand, description, category_id,
                                                     price, nutrition, serving_size, allergens, dietary_tags)
                       select catalog.product_id(%(v)s, 'DEMO-' || g), %(v)s, 'DEMO-' || g,
                              initcap(w[1 + g %% 18] || ' ' || w[1 + (g * 5) %% 18]) || ' ' ||
                                (array['Bar', 'Bowl', 'Crisps', 'Drink', 'Mix'])[1 + g %% 5],
                              (array['Sunrise', 'Harbor', 'Evergreen', 'Nimbus'])[1 + g %% 4],
                              'A ' || w[1 + (g * 7) %% 18] || ' snack made with ' || w[1 + (g * 11) %% 18]
                                || ' and ' || w[1 + (g * 13) %% 18] || '. Ideal for busy mornings.',
                              %(c)s, round((1.5 + (g %% 40) * 0.35)::numeric, 2),
                              jsonb_build_object('energy_kcal', 80 + g %% 300, 'protein_g', g %% 25,
                                                 'sugars_g', g %% 30, 'added_sugars_g', g %% 15,
                                                 'fiber_g', g %% 12, 'sodium_mg', (g * 37) %% 900,
                                                 'saturated_fat_g', g %% 9),
                              '1 serving (' || (20 + g %% 80) || ' g)',
                              (array['{}', '{milk}', '{peanuts}', '{wheat}', '{soy}', '{tree_nuts,milk}'])[1 + g %% 6]::text[],
                              (array['{vegan}', '{vegetarian}', '{}', '{gluten_free}', '{high_protein}',
                                     '{low_sodium}'])[1 + (g / 6) %% 6]::text[]
                         from generate_series(1, 200) g, (select %(w)s::text[] as w) words
                       on conflict (vendor_id, id) do update
                          set name = excluded.name, description = excluded.description, price = excluded.price,
                              nutrition = excluded.nutrition, allergens = excluded.allergens,
                              dietary_tags = excluded.dietary_tags""",
                    {"v": vid, "c": cat[0], "w": WORDS})
                su.execute(
                    """insert into crm.customers (id, vendor_id, external_id, full_name, email, age, gender, location)
                       select crm.customer_id(%(v)s, 'C-' || g), %(v)s, 'C-' || g,
                              (array['Ada', 'Ben', 'Cleo', 'Dev', 'Eli', 'Fay'])[1 + g %% 6] || ' ' ||
                                (array['Lovelace', 'Okafor', 'Nguyen', 'Patel', 'Garcia'])[1 + g %% 5],
                              'customer' || g || '@example.com', 25 + g %% 50,
                              (array['male', 'female', 'other', 'unspecified'])[1 + g %% 4]::crm.gender,
                              jsonb_build_object('city', 'Portland', 'state', 'OR', 'country', 'US')
                         from generate_series(1, 50) g
                       on conflict (vendor_id, id) do update set full_name = excluded.full_name""",
                    {"v": vid})
                su.execute(
                    """insert into health.customer_health_profiles (vendor_id, customer_id, height_cm, weight_kg, age,
                                                                    gender, activity_level, conditions, diet_goals,
                                                                    avoid_allergens)
                       select %(v)s, crm.customer_id(%(v)s, 'C-' || g), 150 + g %% 40, 55 + g %% 50, 25 + g %% 50,
                              (array['male', 'female', 'other', 'unspecified'])[1 + g %% 4]::crm.gender,
                              (array['sedentary', 'light', 'moderate', 'very', 'extra'])[1 + g %% 5]::health.activity_level,
                              (array['{}', '{hypertension}', '{type2_diabetes}', '{celiac}',
                                     '{ckd,hypertension}'])[1 + g %% 5]::text[],
                              (array['{vegan}', '{high_protein}', '{}'])[1 + g %% 3]::text[],
                              (array['{}', '{peanuts}', '{milk}'])[1 + g %% 3]::text[]
                         from generate_series(1, 50) g
                       on conflict (vendor_id, customer_id) do nothing""",
                    {"v": vid})
        counts = su.execute("select (select count(*) from core.vendors), (select count(*) from core.users)").fetchone()
    print(f"demo data: {counts[0]} vendors, {counts[1]} users, 200 products and 50 customers per demo vendor")
    return 0


if __name__ == "__main__":
    sys.exit(main())
