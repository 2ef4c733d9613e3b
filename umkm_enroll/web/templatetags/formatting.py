"""Indonesian display of money: integer rupiah as "Rp 11.800"."""

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
