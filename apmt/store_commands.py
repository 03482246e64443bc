"""``apmt store create|list|suspend|resume|cancel|delete``."""

import json

from apmt.platform_commands import open_platform


def register(commands):
    store = commands.add_parser("store", help="create and manage stores")
    actions = store.add_subparsers(dest="action", required=True, metavar="ACTION")

    create = actions.add_parser("create", help="create a store and its database")
    create.add_argument("slug", help="the store's subdomain, e.g. acme")
    create.add_argument("--name", required=True, help="the store's display name")
    create.add_argument("--owner-email", required=True)
    create.add_argument("--owner-name", default="")
    create.add_argument("--business-name", default="")
    create.add_argument("--currency", help="ISO 4217 code (default USD)")
    create.add_argument("--timezone", help="IANA time zone (default UTC)")
    create.add_argument("--plan", default="free")
    create.add_argument("--json", action="store_true")
    create.set_defaults(handler=run_create)

    listing = actions.add_parser("list", help="every store")
    listing.add_argument("--json", action="store_true")
    listing.add_argument("--all", action="store_true", help="include deleted stores")
    listing.set_defaults(handler=run_list)

    for name, helptext in (
        ("suspend", "close the storefront for now"),
        ("resume", "re-open a suspended or cancelled store"),
        ("cancel", "close the store; its data is destroyed after 30 days"),
        ("delete", "destroy the store's database and secrets now"),
    ):
        action = actions.add_parser(name, help=helptext)
        action.add_argument("slug")
        if name == "delete":
            action.add_argument(
                "--yes", action="store_true", help="confirm; nothing can undo this"
            )
        action.set_defaults(handler=run_change, change=name)


def run_create(args):
    from tenancy import StoreRequest, provision_store

    platform = open_platform()
    request = StoreRequest(
        slug=args.slug,
        display_name=args.name,
        owner_email=args.owner_email,
        owner_name=args.owner_name,
        business_name=args.business_name,
        currency=args.currency,
        timezone=args.timezone,
        plan=args.plan,
    )
    store = provision_store(platform, request)
    url = platform.config.store_url(store.slug)

    if args.json:
        print(json.dumps(store_json(store, url)))
    else:
        print(f"created store {store.slug} (id {store.id})")
        print(f"  database {store.db_name}, role {store.role_name}")
        print(f"  url {url}")


def run_list(args):
    from tenancy import registry

    platform = open_platform()
    with platform.registry() as conn:
        stores = registry.list_stores(conn, include_deleted=args.all)

    if args.json:
        for store in stores:
            print(json.dumps(store_json(store, platform.config.store_url(store.slug))))
        return
    for store in stores:
        print(f"{store.id}\t{store.slug}\t{store.status}\t{store.db_name}")


def run_change(args):
    import tenancy
    from apmt.cli import UserError

    if args.change == "delete" and not args.yes:
        raise UserError(f"deleting {args.slug} cannot be undone; add --yes to confirm")

    change = {
        "suspend": tenancy.suspend_store,
        "resume": tenancy.resume_store,
        "cancel": tenancy.cancel_store,
        "delete": tenancy.delete_store,
    }[args.change]
    store = change(open_platform(), args.slug)
    extra = ""
    if store.purge_after:
        extra = (
            f"; its data will be destroyed after {store.purge_after:%Y-%m-%d %H:%M} UTC"
        )
    print(f"store {store.slug} is now {store.status}{extra}")


def store_json(store, url):
    return {
        "id": store.id,
        "slug": store.slug,
        "name": store.display_name,
        "status": store.status,
        "plan": store.plan,
        "currency": store.currency,
        "timezone": store.timezone,
        "database": store.db_name,
        "created_at": store.created_at.isoformat(),
        "purge_after": store.purge_after.isoformat() if store.purge_after else None,
        "url": url,
    }
