"""Webhook signing and the retry schedule."""

from __future__ import annotations

import random
from datetime import timedelta

from ocop_promotion.domain.webhooks import RetryPolicy, sign, succeeded, verify

SECRET = "whsec_test"
BODY = '{"entry":{"product_name":"Bưởi da xanh"}}'.encode()


def test_a_signature_is_hmac_sha256_over_timestamp_and_body() -> None:
    import hashlib
    import hmac

    expected = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, 1_700_000_000, BODY) == f"sha256={expected}"


def test_a_receiver_accepts_a_fresh_genuine_signature() -> None:
    signature = sign(SECRET, 1_700_000_000, BODY)
    assert verify(SECRET, 1_700_000_000, BODY, signature, now=1_700_000_060)


def test_a_tampered_body_is_rejected() -> None:
    signature = sign(SECRET, 1_700_000_000, BODY)
    assert not verify(SECRET, 1_700_000_000, BODY + b" ", signature, now=1_700_000_000)


def test_another_secret_is_rejected() -> None:
    signature = sign("whsec_other", 1_700_000_000, BODY)
    assert not verify(SECRET, 1_700_000_000, BODY, signature, now=1_700_000_000)


def test_a_replayed_old_delivery_is_rejected() -> None:
    signature = sign(SECRET, 1_700_000_000, BODY)
    assert not verify(SECRET, 1_700_000_000, BODY, signature, now=1_700_000_000 + 301)


def test_a_changed_timestamp_breaks_the_signature() -> None:
    signature = sign(SECRET, 1_700_000_000, BODY)
    assert not verify(SECRET, 1_700_000_001, BODY, signature, now=1_700_000_001)


def test_backoff_doubles_from_the_initial_delay() -> None:
    policy = RetryPolicy(initial_seconds=1.0, max_seconds=300.0, jitter=0.0)
    delays = [policy.delay_after(n).total_seconds() for n in range(1, 6)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0]


def test_backoff_is_capped() -> None:
    policy = RetryPolicy(initial_seconds=1.0, max_seconds=60.0, jitter=0.0)
    assert policy.delay_after(20) == timedelta(seconds=60)


def test_jitter_stays_within_its_fraction_and_under_the_cap() -> None:
    policy = RetryPolicy(initial_seconds=10.0, max_seconds=15.0, jitter=0.1)
    rng = random.Random(7)
    first = [policy.delay_after(1, rng).total_seconds() for _ in range(200)]
    assert all(9.0 <= d <= 11.0 for d in first)
    assert len(set(first)) > 1
    assert all(policy.delay_after(2, rng).total_seconds() <= 15.0 for _ in range(200))


def test_the_policy_gives_up_after_the_last_attempt() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert [policy.gives_up_after(n) for n in (1, 2, 3)] == [False, False, True]


def test_only_2xx_is_a_success() -> None:
    assert [succeeded(c) for c in (200, 204, 299, 301, 404, 500)] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]
