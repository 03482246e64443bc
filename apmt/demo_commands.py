"""``apmt demo``: set the platform up on this machine and show a store.

Safe to run again: it reuses the key file, the registry and the demo store.
"""

from apmt.platform_commands import open_platform, run_init

DEMO_SLUG = "demo"
DEMO_OWNER = "owner@demo.example"


def register(commands):
    demo = commands.add_parser("demo", help="set up a demo store on this machine")
    demo.set_defaults(handler=run_demo)


def run_demo(args):
    from tenancy import StoreNotFound, StoreRequest, provision_store

    run_init(args)
    platform = open_platform()
    try:
        store = platform.store(DEMO_SLUG)
        print(f"demo store: reusing {store.slug} (id {store.id})")
    except StoreNotFound:
        store = provision_store(
            platform,
            StoreRequest(
                slug=DEMO_SLUG,
                display_name="Demo Store",
                owner_email=DEMO_OWNER,
                owner_name="Demo Owner",
                business_name="Demo Trading Co.",
            ),
        )
        print(f"demo store: created {store.slug} (id {store.id})")

    print(f"  database {store.db_name} as role {store.role_name}")
    print(f"  storefront address {platform.config.store_url(store.slug)}")
    # TODO(#4): start the storefront here once it exists.
    # TODO(#11): import the bundled sample catalogue and sales history.
