"""Slugs keep Japanese (CONTRACT.md, Slugs)."""

from __future__ import annotations

import unicodedata

import pytest

from allforces_feeds.slugs import quote_slug, slugify


@pytest.mark.parametrize(
    ("label", "slug"),
    [
        ("AI", "ai"),
        ("ai", "ai"),
        ("ＡＩ", "ai"),
        ("C++", "c"),
        ("node.js", "node-js"),
        ("../etc", "etc"),
        ("最新ニュース", "最新ニュース"),
        ("規制・政策", "規制-政策"),
        ("S&P 500", "s-p-500"),
        ("ｶﾀｶﾅ", "カタカナ"),
        (unicodedata.normalize("NFD", "ガイド"), "ガイド"),
        ("+++", ""),
    ],
)
def test_slugify(label: str, slug: str) -> None:
    assert slugify(label) == slug


def test_quote_slug_is_nfc_utf8_uppercase_hex() -> None:
    assert quote_slug("投資") == "%E6%8A%95%E8%B3%87"
    assert quote_slug(unicodedata.normalize("NFD", "ガ")) == "%E3%82%AC"
