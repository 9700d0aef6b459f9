"""Answer sets the tests render: the defaults, and variants chosen to stress the template."""

from typing import Any

EVERY_TYPE: list[dict[str, list[str]]] = [
    {
        "author": [
            "name str(100)",
            "email str(254) unique",
            "born_on date optional",
            "active bool",
        ]
    },
    {
        "invoice": [
            "invoice_no str(20) unique",
            "total decimal(12,2)",
            "tax_rate decimal(5, 4) optional",
            "quantity int",
            "issued_at timestamp",
            "paid_at timestamp optional",
            "paid bool optional",
            "due_on date",
            "note str optional",
        ]
    },
    # Edge sizes: one-character strings, a decimal with no integer digits, scale 0.
    {"category": ["code str(1) unique", "ratio decimal(2,2)", "weight decimal(3) optional"]},
]

VARIANTS: dict[str, dict[str, Any]] = {
    "defaults": {},
    # The defaults, on the threadpool instead of python-oracledb's asyncio API.
    "threadpool": {"oracle_api": "threadpool"},
    "every-type": {"python_version": "3.11", "tracing": True, "resources": EVERY_TYPE},
    # The smallest sizes that work, and names that need care: plurals in -es and -ies, a
    # resource named like FastAPI's `status` module, optional-only fields, a field named
    # like the tests' HTTP client.
    "one-of-each": {
        "project_name": "Tiny Ledger",
        "python_version": "3.13",
        "oracle_api": "threadpool",
        "executor_workers": 1,
        "pool_min": 1,
        "pool_max": 1,
        "pool_increment": 1,
        "oracle_sessions": 4,  # the least two replicas' pools take
        "kubernetes": True,
        "resources": [
            {"status": ["label str(30) unique"]},
            # And a field named as the first parameter of pydantic's classmethods.
            {
                "box": [
                    "size_cm int optional",
                    "fragile bool optional",
                    "client str(20) optional",
                    "cls str(10) optional",
                ]
            },
            # An optional field named like a function of columns.py, before one that uses it.
            {"company": ["text str(40) optional", "founded_at timestamp optional", "motto str"]},
        ],
    },
    # Names at Oracle 12.1's 30-byte limit, which push every generated line to its longest;
    # and the threadpool at its largest sizes, which a test of the settings overran.
    "long-names": {
        "project_name": "Customer Loyalty Programme Hub",  # a 30-character package
        "python_version": "3.12",
        "oracle_api": "threadpool",
        "executor_workers": 1000,
        "pool_max": 1000,
        "resources": [
            {
                "customer_loyalty_programme": [
                    "membership_renewal_reminder_at timestamp optional",
                    "discount_percentage_for_member decimal(38,38) optional",
                    "description_of_loyalty_scheme str(1000) optional",
                    "number_of_members_registered_x int",
                ]
            },
            # "tiers_tier_name_for_members_uk" is exactly 30 bytes.
            {"tier": ["tier_name_for_members str(40) unique", "is_default_tier bool"]},
            # Lists of fields of a kind, which some tests are parametrized over.
            {
                "shipment": [
                    "created_at timestamp",
                    "updated_at timestamp",
                    "shipped_at timestamp optional",
                    "delivered_at timestamp optional",
                    "cancelled_at timestamp optional",
                    "weight_in_tonnes decimal(12,9)",
                    "volume_in_cubic_m decimal(12,9)",
                    "fuel_surcharge_rate decimal(12,9)",
                    "insurance_premium_rate decimal(12,9)",
                ]
            },
        ],
    },
}
