from datetime import UTC, datetime, timedelta

import pytest

from tenancy import AuthenticationFailed, RateLimited, SessionInvalid, sessions


@pytest.fixture
def account(platform, make_store):
    tenant = make_store()
    with platform.registry() as conn:
        sessions.set_password(conn, tenant.store.account_id, "correct horse battery")
    return tenant.store.account_id


def email_of(platform, account_id):
    with platform.registry() as conn:
        return conn.execute(
            "SELECT email FROM accounts WHERE id = %s", (account_id,)
        ).fetchone()[0]


def test_login_opens_a_session_that_logout_revokes(platform, account):
    email = email_of(platform, account)
    with platform.registry_connection() as conn:
        session = sessions.log_in(conn, email.upper(), "correct horse battery")
        conn.commit()
    assert session.token and session.csrf_token

    with platform.registry() as conn:
        assert sessions.check_session(conn, session.token).account_id == account
        with platform.registry() as reg:
            stored = reg.execute("SELECT token_hash FROM sessions").fetchall()
        assert all(session.token.encode() not in bytes(row[0]) for row in stored)
        sessions.log_out(conn, session.token)
    with platform.registry() as conn, pytest.raises(SessionInvalid):
        sessions.check_session(conn, session.token)


def test_wrong_password_and_unknown_email_look_the_same(platform, account):
    email = email_of(platform, account)
    with platform.registry_connection() as conn:
        with pytest.raises(AuthenticationFailed) as wrong:
            sessions.log_in(conn, email, "not the password")
        with pytest.raises(AuthenticationFailed) as unknown:
            sessions.log_in(conn, "nobody@example.com", "not the password")
    assert str(wrong.value) == str(unknown.value)


def test_failed_logins_are_rate_limited_per_email(platform, account):
    email = email_of(platform, account)
    with platform.registry_connection() as conn:
        for attempt in range(sessions.MAX_FAILURES):
            with pytest.raises(AuthenticationFailed):
                sessions.log_in(conn, email, "wrong", client=f"10.0.0.{attempt}")
        with pytest.raises(RateLimited):
            sessions.log_in(conn, email, "correct horse battery", client="10.0.0.99")


def test_password_change_revokes_other_sessions(platform, account):
    email = email_of(platform, account)
    with platform.registry_connection() as conn:
        kept = sessions.log_in(conn, email, "correct horse battery")
        other = sessions.log_in(conn, email, "correct horse battery")
    with platform.registry() as conn:
        sessions.set_password(
            conn, account, "a brand new passphrase", keep_token=kept.token
        )
    with platform.registry() as conn:
        assert sessions.check_session(conn, kept.token)
        with pytest.raises(SessionInvalid):
            sessions.check_session(conn, other.token)


def test_expired_and_idle_sessions_are_refused(platform, account):
    then = datetime.now(UTC) - timedelta(days=30)
    with platform.registry() as conn:
        old = sessions.open_session(conn, account_id=account, now=then)
    with platform.registry() as conn, pytest.raises(SessionInvalid):
        sessions.check_session(conn, old.token)


def test_sessions_can_be_listed_and_revoked_one_by_one(platform, account):
    with platform.registry() as conn:
        one = sessions.open_session(conn, account_id=account, user_agent="phone")
        sessions.open_session(conn, account_id=account, user_agent="laptop")
        listed = sessions.list_sessions(conn, account)
        handle = next(h for h, agent, *_ in listed if agent == "phone")
        sessions.revoke_session(conn, account, handle)
    with platform.registry() as conn, pytest.raises(SessionInvalid):
        sessions.check_session(conn, one.token)


def test_weak_passwords_are_refused(platform, account):
    from tenancy import TenancyError

    with platform.registry() as conn, pytest.raises(TenancyError, match="at least"):
        sessions.set_password(conn, account, "short")
