"""Publishing a new version of the privacy policy, and telling account holders.

"Material changes will be communicated via email to account holders." A version
is named by the policy's "Last updated" date. Publishing a version the registry
has not seen queues one notice per account holder (each at most once per
version, whatever the number of runs) in the registry outbox.
"""

import re
from datetime import datetime

from tenancy.errors import TenancyError
from tenancy.mail import Message, enqueue

_UPDATED = re.compile(r"Last updated:\s*(.+?)\s*$", re.MULTILINE)


def policy_version(text):
    """The ISO date of a policy text's "Last updated" line."""
    match = _UPDATED.search(text)
    if not match:
        raise TenancyError("the policy has no 'Last updated:' line")
    try:
        return datetime.strptime(match.group(1), "%B %d, %Y").date().isoformat()
    except ValueError:
        raise TenancyError(
            f"cannot read the policy date {match.group(1)!r} (e.g. April 7, 2026)"
        ) from None


def publish_policy(platform, text, *, policy_url):
    """Record the policy's version; on a new one, queue a notice per account.

    Returns (version, notices queued now).
    """
    version = policy_version(text)
    with platform.registry() as conn:
        conn.execute(
            "INSERT INTO policy_versions (version) VALUES (%s) ON CONFLICT DO NOTHING",
            (version,),
        )
        accounts = conn.execute(
            "SELECT id, email, owner_name FROM accounts ORDER BY id"
        ).fetchall()
        queued = 0
        for account_id, email, name in accounts:
            queued += enqueue(conn, Message(
                kind="policy_change",
                recipient=email,
                subject="Our privacy policy has changed",
                body_text=(
                    f"Hello {name or 'there'},\n\nWe have updated the APMTSales "
                    f"privacy policy (version of {version}). The latest version is "
                    f"always at {policy_url}\n"
                ),
                dedupe_key=f"policy:{version}:{account_id}",
            )) is not None  # fmt: skip
        conn.execute(
            """UPDATE policy_versions SET notices_queued = notices_queued + %s
               WHERE version = %s""",
            (queued, version),
        )
    return version, queued
