"""The QR code of a TOTP enrolment, drawn locally as SVG (the otpauth URL never leaves the server)."""

import segno


def qr_svg_data_uri(otpauth_url: str) -> str:
    return segno.make(otpauth_url, error="m").svg_data_uri(scale=5)
