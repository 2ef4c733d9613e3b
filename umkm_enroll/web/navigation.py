"""The navigation bar: each entry names the URL and the roles that see it (empty: every signed-in user)."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    roles: frozenset[str] = frozenset()


ADMIN = frozenset({"administrator"})

NAV_ITEMS: list[NavItem] = [
    NavItem(_("Home"), "web:home"),
    NavItem(_("Dashboard"), "dashboards:dashboard"),
    NavItem(_("People"), "members:list"),
    NavItem(_("Imports"), "members:imports", frozenset({"operator"})),
    NavItem(_("Enrollments"), "enrollments:list"),
    NavItem(_("Queue"), "enrollments:queue", frozenset({"officer"})),
    NavItem(_("Cooperatives"), "cooperatives:list"),
    NavItem(
        _("Arrears"), "contributions:arrears", frozenset({"finance", "officer", "operator", "administrator"})
    ),
    NavItem(_("Bills"), "contributions:bill_list", frozenset({"finance", "administrator"})),
    NavItem(_("Payments"), "contributions:payment_list", frozenset({"finance", "administrator"})),
    NavItem(_("Cards"), "cards:list", frozenset({"card_admin"})),
    NavItem(_("Card printing"), "cards:batch_list", frozenset({"card_admin"})),
    NavItem(_("Payment files"), "contributions:payment_file_upload", frozenset({"finance", "administrator"})),
    NavItem(_("Sponsor programmes"), "contributions:programme_list", frozenset({"finance", "administrator"})),
    NavItem(
        _("Contribution totals"),
        "contributions:totals",
        frozenset({"finance", "administrator", "national_viewer"}),
    ),
    NavItem(_("Coverage targets"), "dashboards:target_list", frozenset({"administrator", "national_viewer"})),
    NavItem(_("Regions"), "regions:index"),
    NavItem(_("Minimum wages"), "regions:minimum_wages"),
    NavItem(_("Tariffs"), "contributions:tariff_list", frozenset({"finance", "administrator"})),
    NavItem(_("Offices"), "accounts:office_list", ADMIN),
    NavItem(_("Users"), "accounts:user_list", ADMIN),
    NavItem(_("Audit log"), "audit:list", ADMIN),
    NavItem(_("Billing runs"), "contributions:billing_runs", ADMIN),
]


def badge_for(item: NavItem, user) -> int:
    """A count shown beside an entry: what changed in the user's submissions since the last look."""
    if item.url_name == "enrollments:list":
        from members.enrollment_views import changed_since_seen

        return changed_since_seen(user)
    return 0


def items_for(user) -> list[dict[str, object]]:
    if not user.is_authenticated:
        return []
    held = user.role_codes()  # a superuser holds the administrator's role: the pages let in no more
    visible = []
    for item in NAV_ITEMS:
        if item.roles and not (item.roles & held):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        visible.append(
            {"label": str(item.label), "url": url, "name": item.url_name, "badge": badge_for(item, user)}
        )
    return visible
