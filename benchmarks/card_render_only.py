"""Benchmark: the card renderer alone (cards/rendering.py), no database, no worker.

    .venv/bin/python benchmarks/card_render_only.py                    # 20,000 cards on A4 sheets
    .venv/bin/python benchmarks/card_render_only.py --cards 2000 --singles

Builds N CardFaces in memory (names of every length, with diacritics; one token-sized verification URL
each), renders them in this process into one PDF file with render_sheets (or render_singles), and prints
N, the seconds, cards per second, bytes per card and the peak resident memory of the process
(resource.getrusage, ru_maxrss). Targets (issue 7, on the 2-core machine): >= 500 cards/s, <= 5 KB a card.
"""

from __future__ import annotations

import argparse
import base64
import os
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cards.rendering import CardFace, render_sheets, render_singles  # noqa: E402

NAMES = [
    "Baiq Nurul Aini",
    "Muh. Ma'ruf",
    "Ni Luh Putu Ayu Sekar Sari Dewi Anggraeni Kusumawardhani",
    "Gusti Ayu Ngurah Ṭirta Sārī Ḍewi",
    "Lalu Muhammad Zainul Majdi",
    "Siti Rahmawati",
    "I Made Sutarja",
    "Andi Nurhaliza Daeng Matasa",
    "Yohanes Don Bosco Watu",
    "Hj. Siti Khadījah binti Abdul Qādir al-Jufrī",
]
REGIONS = [
    ("Kota Mataram, Nusa Tenggara Barat", "BPJAMSOSTEK Cabang Mataram, (0370) 631 234, Jl. Pejanggik No. 11"),
    ("Kabupaten Lombok Timur, Nusa Tenggara Barat", "BPJAMSOSTEK Cabang Selong, (0376) 21 234"),
    ("Kota Kendari, Sulawesi Tenggara", "BPJAMSOSTEK Cabang Kendari, (0401) 312 3456, Jl. Ahmad Yani"),
]


def faces(count: int) -> list[CardFace]:
    cards = []
    for i in range(count):
        region, branch = REGIONS[i % len(REGIONS)]
        token = base64.urlsafe_b64encode(b"\x01" + i.to_bytes(5, "big") + os.urandom(64)).rstrip(b"=")
        cards.append(
            CardFace(
                card_id=i + 1,
                name=f"{NAMES[i % len(NAMES)]} {i}",
                nik_masked=f"527101******{i % 10000:04d}",
                kpj=f"{26000000000 + i}",
                programs="JKK, JKM" if i % 5 else "JKK, JKM, JHT",
                coverage_start=date(2026, 1 + i % 12, 1),
                region=region,
                office="Dinas Koperasi dan UKM Provinsi Nusa Tenggara Barat",
                branch_contact=branch,
                verify_url=f"https://umkm-enroll.example.go.id/verify/{token.decode()}/",
            )
        )
    return cards


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cards", type=int, default=20_000)
    parser.add_argument("--singles", action="store_true", help="one card a page (render_singles)")
    args = parser.parse_args()
    cards = faces(args.cards)
    render = render_singles if args.singles else render_sheets
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cards.pdf"
        started = time.perf_counter()
        with path.open("wb") as out:
            render(cards, out)
        seconds = time.perf_counter() - started
        size = path.stat().st_size
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    layout = "singles" if args.singles else "A4 sheets"
    print(f"cards:          {args.cards:,} ({layout})")
    print(f"seconds:        {seconds:.2f}")
    print(f"cards/s:        {args.cards / seconds:,.0f}")
    print(f"bytes/card:     {size / args.cards:,.0f} ({size / 1e6:.1f} MB in all)")
    print(f"peak RSS:       {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
