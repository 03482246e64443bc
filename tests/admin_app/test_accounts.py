"""tenancy.profile and tenancy.support, which the dashboard stands on.

NOTE: these test two tenancy modules written for the dashboard; they live
here with the dashboard's tests until tests/tenancy/ takes them.
"""

import secrets
from datetime import UTC, datetime, timedelta

import pytest

from tenancy import AuthenticationFailed, RateLimited, delete_store, sessions, support
from tenancy import profile as profiles

from .conftest import PASSWORD, sign_in_staff


def sign_up_request(**changes):
    slug = f"acc{secrets.token_hex(4)}"
    fields = dict(
        owner_name="Ada",
        email=f"{slug}@example.com",
        business_name="Ada's",
        slug=slug,
        password=PASSWORD,
    )
    return profiles.SignUp(**{**fields, **changes})


@pytest.fixture
def signed_up(platform):
    done = profiles.sign_up(platform, sign_up_request(), client=secrets.token_hex(4))
    yield done
    delete_store(platform, done.store.id)


def test_sign_up_gives_the_account_a_password_and_a_session(platform, signed_up):
    with platform.registry() as conn:
        session = sessions.check_session(conn, signed_up.session.token)
        email = conn.execute(
            "SELECT email FROM accounts WHERE id = %s", (session.account_id,)
        ).fetchone()[0]
    with platform.registry_connection() as conn:
        assert sessions.log_in(conn, email, PASSWORD).account_id == session.account_id


def test_a_lost_sign_up_race_deletes_its_store(platform, monkeypatch):
    request = sign_up_request()
    # Someone else's account takes the address between check and claim.
    real, made = profiles.provision_store, []

    def provision_after_a_rival(platform_, store_request):
        with platform_.registry() as conn:
            conn.execute(
                """INSERT INTO accounts (owner_name, email, password_hash)
                   VALUES ('Rival', %s, 'x')""",
                (store_request.owner_email,),
            )
        made.append(real(platform_, store_request))
        return made[-1]

    monkeypatch.setattr(profiles, "provision_store", provision_after_a_rival)
    with pytest.raises(profiles.EmailTaken):
        profiles.sign_up(platform, request, client=secrets.token_hex(4))

    assert platform.store(made[0].id).status == "deleted"


def test_reset_tokens_expire(platform, signed_up):
    account_id = signed_up.store.account_id
    email = profiles.get_account(platform, account_id).email
    past = datetime.now(UTC) - profiles.RESET_LIFETIME - timedelta(minutes=1)
    profiles.request_password_reset(platform, email, reset_url="http://x/r", now=past)
    with platform.registry() as conn:
        body = conn.execute(
            "SELECT body_text FROM outbox WHERE recipient = %s", (email,)
        ).fetchone()[0]
    token = body.split("?token=", 1)[1].split()[0]

    with pytest.raises(profiles.ProfileRefused, match="expired"):
        profiles.reset_password(platform, token, "another good password")


def test_the_store_profile_is_validated(platform, tenant):
    with pytest.raises(profiles.ProfileRefused, match="time zone"):
        profiles.update_store_profile(
            platform,
            tenant.id,
            display_name="X",
            currency="USD",
            timezone="Mars/Olympus",
            actor="t",
        )
    with pytest.raises(profiles.ProfileRefused, match="store name is required"):
        profiles.update_store_profile(
            platform,
            tenant.id,
            display_name=" ",
            currency="USD",
            timezone="UTC",
            actor="t",
        )


def test_staff_log_in_and_are_rate_limited(platform):
    member = sign_in_staff(platform)
    session = support.log_in_staff(platform, member.email, PASSWORD, client="c1")
    assert session.staff_id == member.id

    for _ in range(sessions.MAX_FAILURES):
        with pytest.raises(AuthenticationFailed):
            support.log_in_staff(platform, member.email, "wrong" * 3, client="c2")
    with pytest.raises(RateLimited):
        support.log_in_staff(platform, member.email, PASSWORD, client="c3")


def test_disabled_staff_cannot_log_in_or_be_granted(platform, tenant):
    member = sign_in_staff(platform)
    with platform.registry() as conn:
        conn.execute("UPDATE staff SET disabled_at = now() WHERE id = %s", (member.id,))

    with pytest.raises(AuthenticationFailed):
        support.log_in_staff(platform, member.email, PASSWORD)
    with pytest.raises(support.SupportRefused, match="disabled"):
        support.grant_support(platform, member.id, tenant.id, "ticket", hours=1)


@pytest.mark.parametrize(
    ("reason", "hours", "message"),
    [("", 1, "say why"), ("ticket", 0, "between"), ("ticket", 9, "between")],
)
def test_a_grant_needs_a_reason_and_a_short_length(
    platform, tenant, reason, hours, message
):
    member = sign_in_staff(platform)

    with pytest.raises(support.SupportRefused, match=message):
        support.grant_support(platform, member.id, tenant.id, reason, hours=hours)


def test_a_grant_ends_by_itself(platform, tenant):
    member = sign_in_staff(platform)
    earlier = datetime.now(UTC) - timedelta(hours=2)
    support.grant_support(platform, member.id, tenant.id, "t", hours=1, now=earlier)

    assert support.active_grant(platform, member.id, tenant.id) is None


def test_only_an_admin_ends_someone_elses_grant(platform, tenant):
    holder, colleague = sign_in_staff(platform), sign_in_staff(platform)
    admin = sign_in_staff(platform, role="admin")
    grant = support.grant_support(platform, holder.id, tenant.id, "t", hours=1)

    with pytest.raises(support.SupportRefused):
        support.revoke(platform, grant.id, staff_id=colleague.id)
    support.revoke(platform, grant.id, staff_id=admin.id)

    assert support.active_grant(platform, holder.id, tenant.id) is None
    with platform.registry() as conn:
        actions = [
            row[0]
            for row in conn.execute(
                "SELECT action FROM audit_log WHERE store_id = %s ORDER BY id",
                (tenant.id,),
            )
        ]
    assert actions[-2:] == ["support.granted", "support.revoked"]
