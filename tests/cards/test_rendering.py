"""The card renderer (cards/rendering.py), read back as a card holder and a scanner would: the PDF's text
with pdfium, and the QR codes decoded from the rendered page with zxing-cpp. No database."""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import date

import pypdfium2 as pdfium
import pytest
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cards import tokens
from cards.rendering import (
    NAME_BOX,
    NAME_MAX,
    NAME_MIN,
    CardFace,
    faces,
    fit,
    render_sheets,
    render_singles,
)

KEY = Ed25519PrivateKey.generate()
BASE = "https://umkm-enroll.example.go.id"
LONG_NAME = "Ni Luh Putu Ayu Sekar Sari Dewi Anggraeni Kusumawardhani"
NAMES = [
    "Baiq Nurul Aini",
    "Muh. Ma'ruf",
    LONG_NAME,
    "Gusti Ayu Ngurah Ṭirta Sārī Ḍewi",
    "Lalu Muhammad Zainul Majdi",
    "Siti",
    "I Made Sutarja",
    "Andi Nurhaliza Daeng Matasa",
    "Yohanes Don Bosco Watu",
    "Hj. Siti Khadījah binti Abdul Qādir",
]


def face(card_id: int, name: str = "Baiq Nurul Aini", **overrides) -> CardFace:
    values = {
        "card_id": card_id,
        "name": name,
        "nik_masked": f"527101******{card_id % 10000:04d}",
        "kpj": f"{26000000000 + card_id}",
        "programs": "JKK, JKM",
        "coverage_start": date(2026, 12, 1),
        "region": "Kota Mataram, Nusa Tenggara Barat",
        "office": "Dinas Koperasi dan UKM Kota Mataram",
        "branch_contact": "BPJAMSOSTEK Cabang Mataram, (0370) 631 234, Jl. Pejanggik No. 11",
        "verify_url": f"{BASE}/verify/{tokens.sign(card_id, KEY)}/",
    }
    return CardFace(**{**values, **overrides})


def cards(count: int, first_id: int = 1) -> list[CardFace]:
    return [face(first_id + i, NAMES[i % len(NAMES)]) for i in range(count)]


def pdf_of(render, faces_: list[CardFace]) -> bytes:
    out = io.BytesIO()
    render(faces_, out)
    return out.getvalue()


def page_texts(data: bytes) -> list[str]:
    document = pdfium.PdfDocument(data)
    return [document[i].get_textpage().get_text_range() for i in range(len(document))]


def one_line(text: str) -> str:
    return " ".join(text.split())


def test_a_sheet_prints_each_cards_name_masked_nik_kpj_and_programmes():
    faces_ = cards(10)
    texts = page_texts(pdf_of(render_sheets, faces_))
    front = one_line(texts[0])
    for card in faces_:
        assert card.name in front
        assert card.nik_masked in front
        assert card.kpj in front
    assert "JKK, JKM" in front
    assert "Kartu Peserta BPJS Ketenagakerjaan".upper() in front
    assert "Mulai perlindungan" in front
    assert "1 Desember 2026" in front
    assert "Kota Mataram, Nusa Tenggara Barat" in front
    assert "Dinas Koperasi dan UKM Kota Mataram" in front


def test_the_back_says_what_jkk_and_jkm_pay_how_to_claim_and_whom_to_call():
    back = one_line(page_texts(pdf_of(render_sheets, cards(2)))[1])
    assert "JKK — Jaminan Kecelakaan Kerja" in back
    assert "tanpa batas biaya" in back
    assert "48 \N{MULTIPLICATION SIGN} upah atau penghasilan sebulan" in back
    assert "JKM — Jaminan Kematian" in back
    for amount in ("Rp 42 juta", "Rp 20 juta", "Rp 12 juta", "Rp 10 juta"):
        assert amount in back
    assert "dua anak" in back
    assert "tiga tahun" in back
    assert "Cara klaim" in back
    assert "KTP" in back
    assert back.count("BPJAMSOSTEK Cabang Mataram, (0370) 631 234, Jl. Pejanggik No. 11") == 2


def test_sheets_hold_ten_cards_a_page_each_front_followed_by_its_back():
    texts = page_texts(pdf_of(render_sheets, cards(23)))
    assert len(texts) == 6  # 10 + 10 + 3 cards, each sheet front and back
    fronts, backs = texts[0::2], texts[1::2]
    assert [front.count("527101******") for front in fronts] == [10, 10, 3]
    assert [back.count("Cara klaim") for back in backs] == [10, 10, 3]
    assert all("527101" not in back for back in backs)


def test_the_back_of_a_card_is_in_the_other_column_of_the_same_row():
    faces_ = [
        face(i + 1, f"Peserta {'ABCDEFGHIJ'[i]}", branch_contact=f"Cabang Uji {'ABCDEFGHIJ'[i]}")
        for i in range(10)
    ]
    document = pdfium.PdfDocument(pdf_of(render_sheets, faces_))
    width, height = document[0].get_size()

    def where(page: int, text: str) -> tuple[int, int]:
        textpage = document[page].get_textpage()
        found = textpage.search(text, match_case=True, match_whole_word=True).get_next()
        assert found is not None, text
        left, bottom, _right, _top = textpage.get_charbox(found[0])
        return int(left // (width / 2)), int((height - bottom) // (height / 5))

    for i, card in enumerate(faces_):
        column, row = where(0, card.name)
        assert (column, row) == (i % 2, i // 2)
        assert where(1, card.branch_contact) == (1 - column, row)


def test_every_qr_code_of_a_sheet_decodes_to_the_verify_url_of_a_card_on_it():
    faces_ = cards(12, first_id=4_000_001)
    document = pdfium.PdfDocument(pdf_of(render_sheets, faces_))
    image = document[0].render(scale=3).to_pil()
    decoded = [barcode.text for barcode in zxingcpp.read_barcodes(image)]
    urls = {card.verify_url for card in faces_[:10]}
    assert len(decoded) == 10
    assert set(decoded) == urls
    ids = set()
    for url in decoded:
        token = url.removeprefix(f"{BASE}/verify/").removesuffix("/")
        ids.add(tokens.verify(token, KEY.public_key()))
    assert ids == {card.card_id for card in faces_[:10]}


def test_singles_are_one_card_a_page_front_then_back_at_cr80_size():
    faces_ = cards(3)
    data = pdf_of(render_singles, faces_)
    document = pdfium.PdfDocument(data)
    assert len(document) == 6
    width, height = document[0].get_size()
    assert (round(width / 72 * 25.4, 1), round(height / 72 * 25.4, 1)) == (85.6, 54.0)
    texts = [one_line(text) for text in page_texts(data)]
    for index, card in enumerate(faces_):
        assert card.name in texts[2 * index]
        assert card.nik_masked in texts[2 * index]
        assert card.kpj in texts[2 * index]
        assert "JKK" in texts[2 * index]
        assert "Cara klaim" in texts[2 * index + 1]
    decoded = zxingcpp.read_barcodes(document[2].render(scale=6).to_pil())
    assert [barcode.text for barcode in decoded] == [faces_[1].verify_url]


def test_names_with_diacritics_and_apostrophes_keep_every_letter():
    decomposed = unicodedata.normalize("NFD", "Gusti Ayu Ngurah Ṭirta Sārī Ḍewi")
    faces_ = [face(1, decomposed), face(2, "Muh. Ma'ruf"), face(3, "Ni Kadek Ayu Śrī Wédari (Dayu)")]
    text = one_line(page_texts(pdf_of(render_singles, faces_))[0])
    assert "Gusti Ayu Ngurah Ṭirta Sārī Ḍewi" in text
    _regular, bold = faces()
    apostrophes = "'\N{MODIFIER LETTER APOSTROPHE}\N{RIGHT SINGLE QUOTATION MARK}"
    assert set("ṬāīḌŚé" + apostrophes) <= bold.chars
    texts = [one_line(t) for t in page_texts(pdf_of(render_sheets, faces_))]
    assert "Muh. Ma'ruf" in texts[0]
    assert "Ni Kadek Ayu Śrī Wédari (Dayu)" in texts[0]


def test_a_name_is_shrunk_then_wrapped_to_two_lines_and_never_cut():
    _regular, bold = faces()
    box = {"width": NAME_BOX[2], "height": NAME_BOX[3], "max_size": NAME_MAX, "min_size": NAME_MIN}

    short = fit("Siti", bold, **box)
    assert short == type(short)(NAME_MAX, ("Siti",))

    shrunk = fit(LONG_NAME, bold, **box)
    assert shrunk.lines == (LONG_NAME,)
    assert NAME_MIN <= shrunk.size < NAME_MAX

    longer = "I Gusti Ngurah Agung Bagus Made Wiratama Putra Kusuma Jaya Negara Sukmawati Adhiwangsa Wibawa"
    wrapped = fit(longer, bold, **box)
    assert len(wrapped.lines) == 2
    assert wrapped.size >= NAME_MIN
    assert " ".join(wrapped.lines) == longer

    for name in (" ".join([LONG_NAME] * 6), "Abdurrahman" * 30):
        last_resort = fit(name, bold, **box)
        assert last_resort.size < NAME_MIN
        assert "".join(last_resort.lines).replace(" ", "") == name.replace(" ", "")
        assert all(bold.width(line, last_resort.size) <= NAME_BOX[2] + 0.01 for line in last_resort.lines)
        assert len(last_resort.lines) * last_resort.size * 1.18 <= NAME_BOX[3] + 0.01


def test_a_very_long_name_is_printed_in_full():
    very_long = " ".join([LONG_NAME] * 4)  # 231 characters: past two lines at the minimum size
    no_spaces = "Wiryawanatakusumaningratsasmitadiningrat" * 5
    faces_ = [face(1, very_long), face(2, no_spaces), face(3, LONG_NAME)]
    texts = page_texts(pdf_of(render_sheets, faces_))
    assert very_long in one_line(texts[0])
    assert no_spaces in re.sub(r"\s", "", texts[0])
    assert LONG_NAME in one_line(texts[0])
    singles = page_texts(pdf_of(render_singles, faces_))
    assert very_long in one_line(singles[0])


def test_no_full_nik_is_ever_printed():
    faces_ = cards(20)
    texts = page_texts(pdf_of(render_sheets, faces_)) + page_texts(pdf_of(render_singles, faces_))
    for text in texts:
        assert not re.search(r"\d{16}", text)
        assert re.search(r"527101\*{6}\d{4}", text) or "Cara klaim" in text
    with pytest.raises(ValueError, match="full NIK"):
        pdf_of(render_sheets, [face(1, nik_masked="5271010101900001")])


def test_a_card_costs_less_than_five_kilobytes():
    faces_ = [face(i + 1, f"{NAMES[i % len(NAMES)]} {i}") for i in range(200)]
    assert len(pdf_of(render_sheets, faces_)) / 200 <= 5_000
    assert len(pdf_of(render_singles, faces_)) / 200 <= 5_000


def test_nothing_to_render_is_refused():
    with pytest.raises(ValueError, match="no card"):
        pdf_of(render_sheets, [])
