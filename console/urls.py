"""The back office, mounted at the site root by config/urls.py; the paths are unchanged since the screens
lived in `loyalty` (only the URL names moved from `loyalty:` to `console:`)."""

from django.urls import path

from .views import (
    analytics,
    analytics_settings,
    audit,
    customers,
    help,
    imports,
    message_channels,
    message_templates,
    messages,
    notices,
    segments,
    settings,
    simulator,
    tiers,
)

app_name = "console"

urlpatterns = [
    path("tiers/", tiers.tier_edit, name="tiers"),
    path("settings/", settings.settings_edit, name="settings"),
    path("settings/preview/", settings.settings_preview, name="settings_preview"),
    path("audit/", audit.audit_log, name="audit"),
    *[path(f"help/{slug}/", view, name=f"help_{slug.replace('-', '_')}") for slug, view in help.help_views.items()],
    path("analytics/", analytics.analytics_dashboard, name="analytics"),
    path("analytics/economics/", analytics.analytics_economics, name="analytics_economics"),
    path("analytics/cohorts/", analytics.analytics_cohorts, name="analytics_cohorts"),
    path("analytics/segments/", analytics.analytics_segments, name="analytics_segments"),
    path("analytics/settings/", analytics_settings.analytics_settings, name="analytics_settings"),
    path("analytics/saved-segments/", segments.saved_segments, name="saved_segments"),
    path("analytics/saved-segments/new/", segments.saved_segment_create_view, name="saved_segment_create"),
    path("analytics/saved-segments/<int:segment_id>/edit/", segments.saved_segment_edit, name="saved_segment_edit"),
    path(
        "analytics/saved-segments/<int:segment_id>/delete/",
        segments.saved_segment_delete_view,
        name="saved_segment_delete",
    ),
    path("analytics/simulator/", simulator.analytics_simulator, name="analytics_simulator"),
    path("customers/", customers.customer_list, name="customers"),
    path("customers/<int:customer_id>/", customers.customer_detail, name="customer"),
    path("customers/<int:customer_id>/edit/", customers.customer_edit, name="customer_edit"),
    path("customers/<int:customer_id>/adjust/", customers.customer_adjust, name="customer_adjust"),
    path("customers/<int:customer_id>/export/", customers.customer_export, name="customer_export"),
    path("customers/<int:customer_id>/erase/", customers.customer_erase_view, name="customer_erase"),
    path("messages/", messages.message_list, name="messages"),
    path("messages/<int:message_id>/", messages.message_detail, name="message"),
    path("messages/templates/", message_templates.message_templates, name="message_templates"),
    path(
        "messages/templates/<slug:kind>/<slug:channel>/<slug:language>/",
        message_templates.message_template,
        name="message_template",
    ),
    path(
        "messages/templates/<slug:kind>/<slug:channel>/<slug:language>/preview/",
        message_templates.message_template_preview,
        name="message_template_preview",
    ),
    path("messages/channels/", message_channels.message_channels, name="message_channels"),
    path("messages/stats/", messages.message_stats, name="message_stats"),
    path("messages/notices/", notices.notice_settings_edit, name="message_notices"),
    path("customers/import/", imports.import_upload, name="customer_import"),
    path("customers/import/sample.csv", imports.import_sample, name="customer_import_sample"),
    path("customers/import/<int:job_id>/", imports.import_job, name="customer_import_job"),
    path("customers/import/<int:job_id>/run/", imports.import_run, name="customer_import_run"),
]
