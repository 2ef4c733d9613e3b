from django import template

register = template.Library()


@register.filter(name="nbsp")
def nbsp(value: object) -> str:
    """Keep a short value on one line ("Rp 3.165.031" in a narrow table column): spaces become no-break."""
    return str(value).replace(" ", "\u00a0")
