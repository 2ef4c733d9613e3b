"""The pages of long jobs: a list of the user's jobs and one job's live progress."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from umkm_enroll.accounts.access import scoped
from umkm_enroll.web.http import AppRequest
from umkm_enroll.web.listing import paginate

from .models import Job


@scoped(Job)
@login_required
def job_list(request: AppRequest) -> HttpResponse:
    jobs = Job.objects.visible_to(request.user).select_related("created_by")
    return render(request, "jobs/job_list.html", paginate(request, jobs, per_page=50))


@scoped(Job)
@login_required
def job_detail(request: AppRequest, pk: int) -> HttpResponse:
    """The job's progress. With htmx, only the progress block, polled until the job has finished."""
    job = get_object_or_404(Job.objects.visible_to(request.user), pk=pk)
    template = "jobs/_progress.html" if request.htmx else "jobs/job_detail.html"
    return render(request, template, {"job": job})
