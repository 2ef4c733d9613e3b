from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import APIRootView, DefaultRouter

from cooperatives import api as cooperatives_api
from members import api as members_api
from members import api_imports
from umkm_enroll.accounts import api as accounts_api
from umkm_enroll.accounts.access import no_data
from umkm_enroll.accounts.permissions import SignedIn
from umkm_enroll.jobs import api as jobs_api


@no_data
class APIRoot(APIRootView):
    """The API's entry point: links to its lists."""

    permission_classes = [SignedIn]


router = DefaultRouter()
router.APIRootView = APIRoot
router.register("offices", accounts_api.OfficeViewSet, basename="office")
router.register("cooperatives", cooperatives_api.CooperativeViewSet, basename="cooperative")
router.register("members", members_api.MemberViewSet, basename="member")
router.register("enrollments", members_api.EnrollmentViewSet, basename="enrollment")
router.register("jobs", jobs_api.JobViewSet, basename="job")
router.register("imports", api_imports.ImportBatchViewSet, basename="import")


class SchemaView(SpectacularAPIView):
    permission_classes = [SignedIn]


class DocsView(SpectacularSwaggerSplitView):
    permission_classes = [SignedIn]


api_v1 = [
    path("schema/", no_data(SchemaView.as_view()), name="schema"),
    path("docs/", no_data(DocsView.as_view(url_name="api:schema")), name="docs"),
    path("me/", accounts_api.me, name="me"),
    *router.urls,
]

urlpatterns = [
    path("", include("umkm_enroll.web.urls")),
    path("", include("umkm_enroll.accounts.urls")),
    path("kelola/audit/", include("umkm_enroll.audit.urls")),
    path("wilayah/", include("umkm_enroll.regions.urls")),
    path("koperasi/", include("cooperatives.urls")),
    path("orang/", include("members.urls")),
    path("kepesertaan/", include("members.enrollment_urls")),
    path("tugas/", include("umkm_enroll.jobs.urls")),
    path("ekspor/", include("umkm_enroll.exports.urls")),
    path("iuran/", include("contributions.urls")),
    path("kartu/", include("cards.urls")),
    path("verify/", include("cards.verify_urls")),
    path("dasbor/", include("umkm_enroll.dashboards.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include((api_v1, "api"))),
    path("django-admin/", admin.site.urls),
]
