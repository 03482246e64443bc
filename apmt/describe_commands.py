"""``apmt describe``: AI-written descriptions for a store's products, from scripts.

The products are written as one bulk job, run in this process. Its id goes
to stderr first, so an interrupted run can be resumed like any other job
(``commerce.descriptions.run_bulk_job``) without charging again for what
was done. The drafts wait in the review queue unless ``--approve`` publishes
them at once.
"""

import json
import sys

from apmt.platform_commands import open_platform


def register(commands):
    describe = commands.add_parser(
        "describe", help="write product descriptions with AI or the offline writer"
    )
    describe.add_argument("slug", help="the store")

    which = describe.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--product", action="append", metavar="HANDLE", help="a product (repeatable)"
    )
    which.add_argument("--all", action="store_true", help="every product not archived")

    describe.add_argument(
        "--writer",
        choices=("offline", "anthropic", "openai", "google"),
        help="use this writer only (default: the configured order, offline last)",
    )

    describe.add_argument("--tone", default="friendly")
    describe.add_argument("--length", default="medium")
    describe.add_argument("--language", default="en")
    describe.add_argument(
        "--approve", action="store_true", help="publish the drafts without review"
    )
    describe.add_argument("--json", action="store_true", help="one JSON line each")

    describe.set_defaults(handler=run_describe)


def run_describe(args, *, platform=None, settings=None):
    from apmt.cli import UserError
    from commerce import descriptions
    from commerce.catalogue import get_product

    platform = platform or open_platform()
    tenant = platform.tenant(args.slug)
    if args.all:
        product_ids = descriptions.list_product_ids(tenant)
    else:
        product_ids = [get_product(tenant, handle).id for handle in args.product]
    if not product_ids:
        raise UserError(f"store {args.slug} has no products to describe")

    options = descriptions.Options(args.tone, args.length, args.language)
    job_id = descriptions.start_bulk(
        tenant, product_ids, options, writer=args.writer, settings=settings,
        background=False, actor="cli",
    )  # fmt: skip
    print(f"job {job_id}: {len(product_ids)} products", file=sys.stderr)
    progress = descriptions.run_bulk_job(tenant, job_id, settings=settings)

    drafts = descriptions.list_review_queue(tenant, job_id=job_id, limit=None)
    for draft in drafts:
        if args.approve:
            draft = descriptions.approve(tenant, draft.id, actor="cli")
        _print_draft(draft, args.json)

    print(
        f"job {job_id}: {progress.status}, {progress.done} written, "
        f"{progress.failed} failed, {progress.pending} left, "
        f"{progress.credits} credits"
    )
    if progress.status != "done":
        raise UserError(progress.error or f"job {job_id} stopped: {progress.status}")


def _print_draft(draft, as_json):
    if as_json:
        print(
            json.dumps(
                {
                    "draft": draft.id,
                    "product": draft.product_id,
                    "status": draft.status,
                    "writer": draft.writer,
                    "label": draft.writer_label,
                    "credits": draft.credits,
                    **draft.new.as_dict(),
                }
            )
        )
        return

    print(f"{draft.product_title}: {draft.status}, by {draft.writer_label}, "
          f"{draft.credits} credits")  # fmt: skip
    print(f"  SEO title: {draft.new.seo_title}")
    print(f"  meta: {draft.new.meta_description}")
