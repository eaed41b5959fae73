"""The admin's Reports section: the follow-up windows (clinic admin edits them) and two report
pages (operations for the front desk and the clinic admin; outcome aggregates for the clinic
admin, with cells under 5 patients shown as "<5"). The pages are read-only views over
reports/pages.py; each CSV download is an audited export."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import render
from django.urls import path

from core.errors import DomainError
from reports import access, pages
from reports.filters import OutcomeFilterForm, ReportFilterForm, bind
from reports.models import OperationsReport, OutcomeReport, OutcomeWindow


@admin.register(OutcomeWindow)
class OutcomeWindowAdmin(admin.ModelAdmin):
    list_display = ["key", "label", "target_days", "from_days", "to_days"]
    ordering = ["target_days"]


class _ReportPageAdmin(admin.ModelAdmin):
    """A page, not a table: only a view URL; no add, change or delete."""

    template = ""

    def may(self, user) -> bool:
        raise NotImplementedError

    def has_module_permission(self, request):
        return access.may_see_operations(request.user) or access.may_see_outcomes(request.user)

    def has_view_permission(self, request, obj=None):
        return self.may(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_changelist"
        return [path("", self.admin_site.admin_view(self.page_view), name=name)]

    def page_view(self, request):
        if not self.may(request.user):
            raise DjangoPermissionDenied
        form = bind(self.form_class, request.GET, with_defaults=True)
        context = {**self.admin_site.each_context(request), "title": self.title, "form": form, "opts": self.opts}
        if form.is_valid():
            filters = form.filters()
            try:
                if request.GET.get("format") == "csv":
                    return self.csv(request, filters)
                context.update(self.figures(request, filters))
            except DomainError as error:  # pragma: no cover - the form checks what the selectors would refuse
                form.add_error(None, error.message)
        return render(request, self.template, context)


@admin.register(OperationsReport)
class OperationsReportAdmin(_ReportPageAdmin):
    template = "admin/reports/operations.html"
    form_class = ReportFilterForm
    title = "Operations report"

    def may(self, user) -> bool:
        return access.may_see_operations(user)

    def figures(self, request, filters):
        return pages.operations_context(filters)

    def csv(self, request, filters):
        return pages.operations_csv(filters, user=request.user)


@admin.register(OutcomeReport)
class OutcomeReportAdmin(_ReportPageAdmin):
    template = "admin/reports/outcomes.html"
    form_class = OutcomeFilterForm
    title = "Outcome registry"

    def may(self, user) -> bool:
        return access.may_see_outcomes(user)

    def figures(self, request, filters):
        return pages.outcome_context(filters, suppressed=access.outcomes_suppressed(request.user))

    def csv(self, request, filters):
        # Aggregates only in the admin: patient-level rows are the workspace's, through the policy.
        return pages.outcomes_csv(filters, user=request.user, suppressed=access.outcomes_suppressed(request.user))
