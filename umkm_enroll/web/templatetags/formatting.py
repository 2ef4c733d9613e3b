"""Indonesian display of money and rates: integer rupiah as "Rp 11.800", basis points as "0,24%"."""

from django import template

register = template.Library()


def format_rupiah(amount: int | None) -> str:
    if amount is None:
        return "-"
    sign = "-" if amount < 0 else ""
    grouped = f"{abs(int(amount)):,}".replace(",", ".")
    return f"{sign}Rp {grouped}"


@register.filter(name="rupiah")
def rupiah(amount: int | None) -> str:
    return format_rupiah(amount)


def format_percent_points(points: int | None) -> str:
    """Basis points (hundredths of a percent) as a percentage with a decimal comma: 24 -> "0,24%"."""
    if points is None:
        return "-"
    whole, fraction = divmod(int(points), 100)
    return f"{whole},{fraction:02d}".rstrip("0") + "%" if fraction else f"{whole}%"


@register.filter(name="percent_points")
def percent_points(points: int | None) -> str:
    return format_percent_points(points)
