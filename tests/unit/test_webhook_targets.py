"""Which webhook URLs and resolved addresses the notifier may call: public ones, and what an
operator allow-listed; every refusal has a reason code."""

from __future__ import annotations

import pytest

from services.notifier.domain import webhook_targets as targets
from services.notifier.domain.webhook_targets import WebhookPolicy, check_address, check_url

OPEN = WebhookPolicy()
PRODUCTION = WebhookPolicy(https_only=True)


def reason(url: str, policy: WebhookPolicy = OPEN) -> str | None:
    refusal = check_url(url, policy)
    return None if refusal is None else refusal.reason


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1/hook", targets.LOOPBACK),
        ("http://127.8.9.10:8080/hook", targets.LOOPBACK),
        ("http://[::1]/hook", targets.LOOPBACK),
        ("http://localhost:8083/v1/contacts", targets.LOOPBACK),
        ("http://api.localhost/", targets.LOOPBACK),
        ("http://10.0.0.5/hook", targets.PRIVATE),
        ("http://172.16.3.4/hook", targets.PRIVATE),
        ("http://192.168.1.1/hook", targets.PRIVATE),
        ("http://[fd00:ec2::254]/hook", targets.PRIVATE),
        ("http://[fec0::1]/hook", targets.PRIVATE),
        ("http://169.254.169.254/latest/meta-data/", targets.LINK_LOCAL),
        ("http://[fe80::1]/hook", targets.LINK_LOCAL),
        ("http://224.0.0.1/hook", targets.MULTICAST),
        ("http://[ff02::1]/hook", targets.MULTICAST),
        ("http://0.0.0.0:8083/", targets.UNSPECIFIED),
        ("http://[::]/", targets.UNSPECIFIED),
        ("http://240.0.0.1/", targets.RESERVED),
        ("http://255.255.255.255/", targets.RESERVED),
        ("http://100.64.0.1/hook", targets.SHARED),
        ("http://100.127.255.254/hook", targets.SHARED),
        ("http://192.0.2.10/hook", targets.PRIVATE),  # documentation: not routed anywhere
    ],
)
def test_a_webhook_written_as_an_internal_address_is_refused(url: str, expected: str) -> None:
    assert reason(url) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://[::ffff:127.0.0.1]/", targets.LOOPBACK),
        ("http://[::ffff:a9fe:a9fe]/", targets.LINK_LOCAL),  # ::ffff:169.254.169.254
        ("http://[::ffff:10.1.2.3]/", targets.PRIVATE),
        ("http://[2002:7f00:1::]/", targets.LOOPBACK),  # 6to4 of 127.0.0.1
        ("http://[2002:c0a8:101::]/", targets.PRIVATE),  # 6to4 of 192.168.1.1
        ("http://[64:ff9b::a9fe:a9fe]/", targets.LINK_LOCAL),  # NAT64 of 169.254.169.254
        ("http://[::127.0.0.1]/", targets.RESERVED),  # the old IPv4-compatible form
    ],
)
def test_an_ipv4_address_carried_in_ipv6_is_judged_as_that_ipv4_address(
    url: str, expected: str
) -> None:
    assert reason(url) == expected


def test_teredo_is_refused_whatever_it_carries() -> None:
    teredo_of_loopback = "2001:0:4136:e378:8000:63bf:80ff:fffe"  # client 127.0.0.1, obfuscated
    assert check_address(teredo_of_loopback, "x.example", OPEN) is not None
    assert check_address("2001:0:4136:e378:8000:63bf:3fff:fdd2", "x.example", OPEN) is not None


def test_the_nat64_form_of_a_public_address_is_public() -> None:
    # An IPv6-only notifier behind DNS64 sees every IPv4 receiver this way.
    assert check_address("64:ff9b::808:808", "hook.example.vn", OPEN) is None


@pytest.mark.parametrize(
    "host",
    [
        "0x7f000001",
        "0X7F000001",
        "2130706433",
        "017700000001",
        "127.1",
        "127.0.1",
        "0177.0.0.1",
        "0x7f.0.0.1",
        "127.0.0.0x1",
        "1.2.3.4.5",
        "hook.example.0x10",
        "8.8.8.08",
    ],
)
def test_a_host_in_an_odd_numeric_notation_is_refused_outright(host: str) -> None:
    assert reason(f"http://{host}/hook") == targets.ODD_NOTATION


def test_an_odd_notation_is_refused_even_when_its_address_is_allow_listed() -> None:
    policy = WebhookPolicy.parse("127.0.0.0/8")

    assert reason("http://127.1/hook", policy) == targets.ODD_NOTATION
    assert reason("http://127.0.0.1/hook", policy) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://hoankiem.gov.vn/baocao/hook",
        "http://hook.example.vn:8443/x",
        "https://8.8.8.8/hook",
        "https://[2606:4700::1111]/hook",
        "https://203.113.131.1/",
        "https://HoanKiem.gov.vn./hook",  # case and the root's dot
        "https://bücher.example/hook",
        "https://1password.com/hook",  # starts with a digit, ends with a name
    ],
)
def test_a_public_webhook_is_allowed(url: str) -> None:
    assert check_url(url, OPEN) is None


def test_a_host_name_is_judged_by_the_addresses_it_resolves_to() -> None:
    assert check_url("https://metadata.internal.example/hook", OPEN) is None  # at set time
    refusal = check_address("169.254.169.254", "metadata.internal.example", OPEN)

    assert refusal is not None
    assert refusal.reason == targets.LINK_LOCAL
    assert check_address("203.113.131.1", "metadata.internal.example", OPEN) is None


def test_an_allow_listed_network_or_host_may_be_reached_although_private() -> None:
    policy = WebhookPolicy.parse(" 127.0.0.1/32, 10.20.0.0/16 , hook.mang-noi-bo.gov.vn, ::1")

    assert reason("http://127.0.0.1:9000/hook", policy) is None
    assert reason("http://[::ffff:127.0.0.1]:9000/hook", policy) is None
    assert reason("http://[::1]/hook", policy) is None
    assert reason("http://10.20.3.4/hook", policy) is None
    assert reason("http://10.21.3.4/hook", policy) == targets.PRIVATE
    assert reason("http://127.0.0.2/hook", policy) == targets.LOOPBACK
    assert check_address("10.99.0.1", "hook.mang-noi-bo.gov.vn", policy) is None
    assert check_address("10.99.0.1", "HOOK.mang-noi-bo.gov.vn.", policy) is None
    assert check_address("10.99.0.1", "other.gov.vn", policy) is not None
    assert check_address("127.0.0.1", "whatever.example", policy) is None


def test_an_allow_list_entry_that_is_neither_a_network_nor_a_host_name_is_an_error() -> None:
    assert WebhookPolicy.parse("") == WebhookPolicy()
    assert WebhookPolicy.parse(["localhost"]).allowed_hosts == frozenset({"localhost"})
    for bad in ("10.0.0.1/8", "127.1", "not a host", "http://x.example", "10.0.0.0/33"):
        with pytest.raises(ValueError, match="not a CIDR or a host name"):
            WebhookPolicy.parse(bad)


def test_production_takes_https_only_even_for_allow_listed_hosts() -> None:
    allowed = WebhookPolicy.parse("10.0.0.0/8", https_only=True)

    assert reason("http://hoankiem.gov.vn/hook", PRODUCTION) == targets.NOT_HTTPS
    assert reason("https://hoankiem.gov.vn/hook", PRODUCTION) is None
    assert reason("http://10.1.1.1/hook", allowed) == targets.NOT_HTTPS
    assert reason("https://10.1.1.1/hook", allowed) is None
    assert reason("http://hoankiem.gov.vn/hook", OPEN) is None


@pytest.mark.parametrize(
    "url", ["ftp://hook.example/", "hook.example/x", "http:///x", "http://hook.example:99999/"]
)
def test_a_url_that_is_no_http_url_with_a_host_is_invalid(url: str) -> None:
    assert reason(url) == targets.INVALID


def test_every_refusal_names_its_reason_and_never_the_address_it_resolved_to() -> None:
    refusal = check_address("10.1.2.3", "hook.example.vn", OPEN)

    assert refusal is not None
    assert str(refusal) == f"{targets.PRIVATE}: {refusal.message}"
    assert "10.1.2.3" not in str(refusal)
    assert set(targets.MESSAGES) >= {
        targets.INVALID,
        targets.NOT_HTTPS,
        targets.ODD_NOTATION,
        targets.UNRESOLVED,
        targets.UNSPECIFIED,
        targets.LOOPBACK,
        targets.LINK_LOCAL,
        targets.MULTICAST,
        targets.SHARED,
        targets.RESERVED,
        targets.PRIVATE,
    }
