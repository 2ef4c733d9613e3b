from umkm_enroll.web.templatetags.formatting import format_rupiah


def test_rupiah_uses_dots_between_thousands():
    assert format_rupiah(11800) == "Rp 11.800"
    assert format_rupiah(1_000_000) == "Rp 1.000.000"
    assert format_rupiah(0) == "Rp 0"
    assert format_rupiah(-16800) == "-Rp 16.800"
    assert format_rupiah(None) == "-"
